package pachapi

import (
	"encoding/json"

	"github.com/tuskdata/tusk/internal/tusk"
)

// Pipeline is pps_v2.Pipeline.
type Pipeline struct {
	Project *Project `json:"project,omitempty"`
	Name    string   `json:"name,omitempty"`
}

// PipelineOf names a pipeline of the default project.
func PipelineOf(name string) Pipeline {
	return Pipeline{Project: &Project{Name: tusk.DefaultProject}, Name: name}
}

// Job is pps_v2.Job.
type Job struct {
	Pipeline Pipeline `json:"pipeline"`
	ID       string   `json:"id,omitempty"`
}

// ProcessStats is pps_v2.ProcessStats.
type ProcessStats struct {
	DownloadTime  *Duration `json:"download_time,omitempty"`
	ProcessTime   *Duration `json:"process_time,omitempty"`
	UploadTime    *Duration `json:"upload_time,omitempty"`
	DownloadBytes int64     `json:"download_bytes,omitempty,string"`
	UploadBytes   int64     `json:"upload_bytes,omitempty,string"`
}

// JobInfo is pps_v2.JobInfo. State is JOB_CREATED … JOB_SUCCESS.
type JobInfo struct {
	Job             Job           `json:"job"`
	PipelineVersion int64         `json:"pipeline_version,omitempty,string"`
	OutputCommit    *Commit       `json:"output_commit,omitempty"`
	Restart         int64         `json:"restart,omitempty,string"`
	DataProcessed   int64         `json:"data_processed,omitempty,string"`
	DataSkipped     int64         `json:"data_skipped,omitempty,string"`
	DataTotal       int64         `json:"data_total,omitempty,string"`
	DataFailed      int64         `json:"data_failed,omitempty,string"`
	DataRecovered   int64         `json:"data_recovered,omitempty,string"`
	Stats           *ProcessStats `json:"stats,omitempty"`
	State           string        `json:"state,omitempty"`
	Reason          string        `json:"reason,omitempty"`
	Created         Timestamp     `json:"created,omitzero"`
	Started         Timestamp     `json:"started,omitzero"`
	Finished        Timestamp     `json:"finished,omitzero"`
	Details         *JobDetails   `json:"details,omitempty"`
}

// JobDetails is the part of JobInfo.Details that a job records in Tusk:
// the transform it ran (image and command) and its salt.
type JobDetails struct {
	Transform *Transform `json:"transform,omitempty"`
	Salt      string     `json:"salt,omitempty"`
}

// Transform is the part of pps_v2.Transform a job records.
type Transform struct {
	Image string   `json:"image,omitempty"`
	Cmd   []string `json:"cmd,omitempty"`
}

// JobState is a Tusk job state ("SUCCESS") as Pachyderm's enum names it
// ("JOB_SUCCESS").
func JobState(s string) string {
	if s == "" {
		return ""
	}
	return "JOB_" + s
}

// JobInfoFrom is j as pachctl prints a job.
func JobInfoFrom(j tusk.JobInfo) JobInfo {
	ji := JobInfo{
		Job:             Job{Pipeline: PipelineOf(j.Pipeline), ID: j.ID},
		PipelineVersion: int64(j.PipelineVersion),
		DataProcessed:   j.DataProcessed,
		DataSkipped:     j.DataSkipped,
		DataTotal:       j.DataTotal,
		DataFailed:      j.DataFailed,
		DataRecovered:   j.DataRecovered,
		Stats:           &ProcessStats{},
		State:           JobState(j.State),
		Reason:          j.Reason,
		Created:         At(j.Created),
		Started:         AtPtr(j.Started),
		Finished:        AtPtr(j.Finished),
	}
	if j.OutputCommit.ID != "" {
		c := commitRef(j.OutputCommit)
		ji.OutputCommit = &c
	}
	if j.Image != "" || len(j.Cmd) > 0 || j.Salt != "" {
		ji.Details = &JobDetails{Salt: j.Salt}
		if j.Image != "" || len(j.Cmd) > 0 {
			ji.Details.Transform = &Transform{Image: j.Image, Cmd: j.Cmd}
		}
	}
	return ji
}

// JobSet is pps_v2.JobSet.
type JobSet struct {
	ID string `json:"id,omitempty"`
}

// JobSetInfo is pps_v2.JobSetInfo: the jobs one change started, one per
// pipeline it reached, under one ID (the commit set's).
type JobSetInfo struct {
	JobSet JobSet    `json:"job_set"`
	Jobs   []JobInfo `json:"jobs,omitempty"`
}

// Datum is pps_v2.Datum.
type Datum struct {
	Job Job    `json:"job"`
	ID  string `json:"id,omitempty"`
}

// DatumInfo is pps_v2.DatumInfo. State is FAILED, SUCCESS, SKIPPED,
// STARTING or RECOVERED; Data are the datum's input files.
type DatumInfo struct {
	Datum   Datum         `json:"datum"`
	State   string        `json:"state,omitempty"`
	Stats   *ProcessStats `json:"stats,omitempty"`
	Data    []FileInfo    `json:"data,omitempty"`
	ImageID string        `json:"image_id,omitempty"`
}

// DatumState is a Tusk datum state as Pachyderm's enum names it: Tusk's
// QUEUED and RUNNING, which Pachyderm does not tell apart from STARTING,
// are STARTING.
func DatumState(s string) string {
	switch s {
	case tusk.DatumQueued, tusk.DatumRunning:
		return tusk.DatumStarting
	}
	return s
}

// DatumInfoFrom is d as pachctl prints a datum. Its process time is how
// long its last attempt ran.
func DatumInfoFrom(d tusk.DatumInfo) DatumInfo {
	di := DatumInfo{
		Datum:   Datum{Job: Job{Pipeline: PipelineOf(d.Pipeline), ID: d.Job}, ID: d.ID},
		State:   DatumState(d.State),
		ImageID: d.ImageID,
	}
	if d.Started != nil && d.Finished != nil {
		t := Duration(d.Finished.Sub(*d.Started))
		di.Stats = &ProcessStats{ProcessTime: &t}
	}
	for _, in := range d.Inputs {
		di.Data = append(di.Data, FileInfo{File: File{Commit: CommitIn(in.Project, in.Repo, in.Branch, in.Commit), Path: in.Path}})
	}
	return di
}

// PipelineInfo is pps_v2.PipelineInfo. State is PIPELINE_RUNNING …,
// LastJobState a JobState, Type PIPELINE_TYPE_TRANSFORM, _SPOUT or
// _SERVICE.
type PipelineInfo struct {
	Pipeline          Pipeline         `json:"pipeline"`
	Version           int64            `json:"version,omitempty,string"`
	Stopped           bool             `json:"stopped,omitempty"`
	State             string           `json:"state,omitempty"`
	Reason            string           `json:"reason,omitempty"`
	LastJobState      string           `json:"last_job_state,omitempty"`
	Type              string           `json:"type,omitempty"`
	Details           *PipelineDetails `json:"details,omitempty"`
	UserSpecJSON      string           `json:"user_spec_json,omitempty"`
	EffectiveSpecJSON string           `json:"effective_spec_json,omitempty"`
}

// PipelineDetails is PipelineInfo.Details. The parts of the spec are
// decoded from the stored spec, whose field names are Pachyderm's, and
// kept as it holds them: its numbers are JSON numbers where protojson
// would quote 64-bit ones, but for datum_tries.
type PipelineDetails struct {
	Transform             json.RawMessage `json:"transform,omitempty"`
	TFJob                 json.RawMessage `json:"tf_job,omitempty"`
	ParallelismSpec       json.RawMessage `json:"parallelism_spec,omitempty"`
	Egress                json.RawMessage `json:"egress,omitempty"`
	CreatedAt             Timestamp       `json:"created_at,omitzero"`
	UpdatedAt             Timestamp       `json:"updated_at,omitzero"`
	OutputBranch          string          `json:"output_branch,omitempty"`
	ResourceRequests      json.RawMessage `json:"resource_requests,omitempty"`
	ResourceLimits        json.RawMessage `json:"resource_limits,omitempty"`
	SidecarResourceLimits json.RawMessage `json:"sidecar_resource_limits,omitempty"`
	Input                 json.RawMessage `json:"input,omitempty"`
	Description           string          `json:"description,omitempty"`
	Salt                  string          `json:"salt,omitempty"`
	Reason                string          `json:"reason,omitempty"`
	Service               json.RawMessage `json:"service,omitempty"`
	Spout                 json.RawMessage `json:"spout,omitempty"`
	DatumSetSpec          json.RawMessage `json:"datum_set_spec,omitempty"`
	DatumTimeout          json.RawMessage `json:"datum_timeout,omitempty"`
	JobTimeout            json.RawMessage `json:"job_timeout,omitempty"`
	DatumTries            Int64           `json:"datum_tries,omitempty"`
	SchedulingSpec        json.RawMessage `json:"scheduling_spec,omitempty"`
	PodSpec               json.RawMessage `json:"pod_spec,omitempty"`
	PodPatch              json.RawMessage `json:"pod_patch,omitempty"`
	S3Out                 json.RawMessage `json:"s3_out,omitempty"`
	Metadata              json.RawMessage `json:"metadata,omitempty"`
	ReprocessSpec         json.RawMessage `json:"reprocess_spec,omitempty"`
	Autoscaling           json.RawMessage `json:"autoscaling,omitempty"`
	Tolerations           json.RawMessage `json:"tolerations,omitempty"`
	SidecarResourceReqs   json.RawMessage `json:"sidecar_resource_requests,omitempty"`
	MaximumExpectedUptime json.RawMessage `json:"maximum_expected_uptime,omitempty"`
}

// PipelineInfoFrom is pi as pachctl prints a pipeline. Its spec fills the
// details, and is both the user's and the effective spec.
func PipelineInfoFrom(pi tusk.PipelineInfo) PipelineInfo {
	out := PipelineInfo{
		Pipeline:     PipelineOf(pi.Name),
		Version:      int64(pi.Version),
		Stopped:      pi.Stopped,
		State:        "PIPELINE_" + pi.State,
		Reason:       pi.Reason,
		LastJobState: JobState(pi.LastJobState),
		Type:         "PIPELINE_TYPE_TRANSFORM",
		Details: &PipelineDetails{
			CreatedAt:    At(pi.Created),
			UpdatedAt:    At(pi.Updated),
			OutputBranch: pi.OutputBranch,
			Description:  pi.Description,
			Reason:       pi.Reason,
		},
	}
	if pi.State == "" {
		out.State = ""
	}
	if len(pi.Spec) == 0 || json.Unmarshal(pi.Spec, out.Details) != nil {
		return out
	}
	out.UserSpecJSON, out.EffectiveSpecJSON = string(pi.Spec), string(pi.Spec)
	switch {
	case len(out.Details.Service) > 0:
		out.Type = "PIPELINE_TYPE_SERVICE"
	case len(out.Details.Spout) > 0:
		out.Type = "PIPELINE_TYPE_SPOUT"
	}
	return out
}
