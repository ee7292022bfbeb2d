package tusk

import (
	"encoding/json"
	"time"
)

// Pipeline states.
const (
	PipelineStarting = "STARTING"
	PipelineRunning  = "RUNNING"
	PipelineStandby  = "STANDBY"
	PipelinePaused   = "PAUSED"
	PipelineFailure  = "FAILURE"
	PipelineCrashing = "CRASHING"
)

// Job states, in the order a job moves through them.
const (
	JobCreated    = "CREATED"
	JobStarting   = "STARTING"
	JobRunning    = "RUNNING"
	JobEgressing  = "EGRESSING"
	JobFinishing  = "FINISHING"
	JobSuccess    = "SUCCESS"
	JobFailure    = "FAILURE"
	JobKilled     = "KILLED"
	JobUnrunnable = "UNRUNNABLE"
)

// JobDone reports whether a job state is final.
func JobDone(state string) bool {
	switch state {
	case JobSuccess, JobFailure, JobKilled, JobUnrunnable:
		return true
	}
	return false
}

// Datum states. A datum is STARTING from the moment a worker claims it
// (its inputs download, or it waits its turn in the worker's set) until
// its command starts: then it is RUNNING.
const (
	DatumQueued    = "QUEUED"
	DatumStarting  = "STARTING"
	DatumRunning   = "RUNNING"
	DatumSuccess   = "SUCCESS"
	DatumSkipped   = "SKIPPED"
	DatumFailed    = "FAILED"
	DatumRecovered = "RECOVERED"
)

// PipelineInfo describes a pipeline.
type PipelineInfo struct {
	Name         string      `json:"name"`
	Description  string      `json:"description,omitempty"`
	Version      int         `json:"version"`
	State        string      `json:"state"`
	Stopped      bool        `json:"stopped"`
	Reason       string      `json:"reason,omitempty"`
	Created      time.Time   `json:"created"`
	Updated      time.Time   `json:"updated"`
	LastJobState string      `json:"last_job_state,omitempty"`
	OutputBranch string      `json:"output_branch"`
	Inputs       []BranchRef `json:"inputs,omitempty"`
	// ServiceAddress is where a service's port is published (host:port),
	// as its runner says.
	ServiceAddress string          `json:"service_address,omitempty"`
	Spec           json.RawMessage `json:"spec"`
}

// JobInfo describes one run of a pipeline over one commit set.
type JobInfo struct {
	Pipeline        string      `json:"pipeline"`
	ID              string      `json:"id"`
	PipelineVersion int         `json:"pipeline_version"`
	State           string      `json:"state"`
	Reason          string      `json:"reason,omitempty"`
	Created         time.Time   `json:"created"`
	Started         *time.Time  `json:"started,omitempty"`
	Finished        *time.Time  `json:"finished,omitempty"`
	DataTotal       int64       `json:"data_total"`
	DataProcessed   int64       `json:"data_processed"`
	DataSkipped     int64       `json:"data_skipped"`
	DataFailed      int64       `json:"data_failed"`
	DataRecovered   int64       `json:"data_recovered"`
	OutputCommit    CommitRef   `json:"output_commit"`
	Inputs          []CommitRef `json:"inputs,omitempty"`
	Salt            string      `json:"salt,omitempty"`
	Image           string      `json:"image,omitempty"`
	// ImageID and ImageDigest are those of the image the job's datums
	// ran in (see DatumInfo), once one has run.
	ImageID     string   `json:"image_id,omitempty"`
	ImageDigest string   `json:"image_digest,omitempty"`
	Cmd         []string `json:"cmd,omitempty"`
	ShimVersion string   `json:"shim_version,omitempty"`
}

// JobEvent is pushed to subscribers of job events: "subscribed" once
// changes are watched, then "job" with each job whose state or progress
// changed, and "heartbeat" now and then.
type JobEvent struct {
	Type string   `json:"type"`
	Job  *JobInfo `json:"job,omitempty"`
}

// DatumInput is one input of a datum: a path of an input commit.
type DatumInput struct {
	Name string `json:"name"`
	// Project is the project of Repo when the pipeline's spec names one.
	Project    string `json:"project,omitempty"`
	Repo       string `json:"repo"`
	Branch     string `json:"branch,omitempty"`
	Commit     string `json:"commit"`
	Path       string `json:"path"`
	JoinOn     string `json:"join_on,omitempty"`
	GroupBy    string `json:"group_by,omitempty"`
	EmptyFiles bool   `json:"empty_files,omitempty"`
	Lazy       bool   `json:"lazy,omitempty"`
	// S3: the worker serves the input as a bucket named Name at
	// $S3_ENDPOINT instead of laying out its files.
	S3 bool `json:"s3,omitempty"`
}

// Source is the commit and path the input reads, as a reference:
// "[project/]repo@commit:path".
func (in DatumInput) Source(path string) string {
	return in.RepoName() + "@" + in.Commit + ":" + path
}

// RepoName is the input's repo as a reference names it: "project/repo"
// when the input names its project.
func (in DatumInput) RepoName() string { return qualified(in.Project, in.Repo) }

// DatumInfo describes a datum of a job.
type DatumInfo struct {
	Pipeline string       `json:"pipeline"`
	Job      string       `json:"job"`
	ID       string       `json:"id"`
	Hash     string       `json:"hash"`
	State    string       `json:"state"`
	Reason   string       `json:"reason,omitempty"`
	Attempts int          `json:"attempts"`
	Index    int64        `json:"index"`
	Inputs   []DatumInput `json:"inputs"`
	// SizeBytes is the size of the datum's input files.
	SizeBytes int64    `json:"size_bytes,omitempty"`
	Outputs   []string `json:"outputs,omitempty"`
	Worker    string   `json:"worker,omitempty"`
	// ImageID is the local engine's ID of the image the datum ran in;
	// ImageDigest, where the image came from a registry, is its
	// registry reference, "host/name@sha256:…".
	ImageID     string     `json:"image_id,omitempty"`
	ImageDigest string     `json:"image_digest,omitempty"`
	Started     *time.Time `json:"started,omitempty"`
	Finished    *time.Time `json:"finished,omitempty"`
}

// LogLine is a line of a pipeline's logs.
type LogLine struct {
	Pipeline string    `json:"pipeline"`
	Job      string    `json:"job,omitempty"`
	Datum    string    `json:"datum,omitempty"`
	Worker   string    `json:"worker,omitempty"`
	Time     time.Time `json:"ts"`
	User     bool      `json:"user"`
	Message  string    `json:"message"`
}

// Task is a datum handed to a worker. A worker claims datums in sets
// (several Tasks of one job at once), runs them one after the other and
// reports their results together.
type Task struct {
	Pipeline string `json:"pipeline"`
	Job      string `json:"job"`
	Datum    string `json:"datum"`
	Attempt  int    `json:"attempt"`
	// Claim numbers this claim of the datum: a heartbeat or result that
	// gives another is stale (the datum went to another worker meanwhile).
	Claim            int          `json:"claim"`
	Inputs           []DatumInput `json:"inputs"`
	Env              []string     `json:"env"`
	Cmd              []string     `json:"cmd"`
	Stdin            []string     `json:"stdin,omitempty"`
	ErrCmd           []string     `json:"err_cmd,omitempty"`
	ErrStdin         []string     `json:"err_stdin,omitempty"`
	AcceptReturnCode []int64      `json:"accept_return_code,omitempty"`
	WorkingDir       string       `json:"working_dir,omitempty"`
	User             string       `json:"user,omitempty"`
	DatumTimeout     Duration     `json:"datum_timeout,omitempty"`
	LeaseSeconds     int          `json:"lease_seconds"`
	// DatumBatching: the command starts once and asks for each datum with
	// `tusk next datum` (or pachctl's `next datum`).
	DatumBatching bool `json:"datum_batching,omitempty"`
	// Spout: the task of a spout, which has no job or datum: the command
	// runs until the worker stops, again whenever it exits, and writes to
	// the output repo itself (`tusk put file`, as the worker's pipeline).
	Spout bool `json:"spout,omitempty"`
	// Service: the one datum of a service's job, whose command serves
	// until the job is superseded by a newer one (its heartbeat says so).
	Service bool `json:"service,omitempty"`
	// S3Out: the worker serves /pfs/out as the bucket "out" at
	// $S3_ENDPOINT.
	S3Out bool `json:"s3_out,omitempty"`
}

// Duration is a time.Duration that travels as a Go duration string.
type Duration time.Duration

// MarshalJSON writes "90s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "90s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	*d = Duration(v)
	return err
}

// TaskInputsRequest asks for the inputs of datums (a list of inputs per
// datum) as one archive: as many datums as fit whole within a budget of
// content bytes and files, and, with ForceFirst, at least the first.
type TaskInputsRequest struct {
	Datums      [][]DatumInput `json:"datums"`
	BudgetBytes int64          `json:"budget_bytes"`
	BudgetFiles int            `json:"budget_files"`
	ForceFirst  bool           `json:"force_first"`
}

// TaskResult is what a worker reports when a datum attempt ends.
type TaskResult struct {
	Pipeline string `json:"pipeline"`
	Job      string `json:"job"`
	Datum    string `json:"datum"`
	Claim    int    `json:"claim"`
	Worker   string `json:"worker"`
	// State is RUNNING when the datum's command starts (at Started), then
	// SUCCESS, FAILED or RECOVERED when the attempt ends. Only FAILED uses
	// up one of the datum's tries: it means the user's command failed
	// (exit code, datum timeout). QUEUED gives the datum back without
	// using up a try: the worker is stopping, or did not get to it.
	State   string   `json:"state"`
	Reason  string   `json:"reason,omitempty"`
	Outputs []FileOp `json:"outputs,omitempty"`
	ImageID string   `json:"image_id,omitempty"`
	// ImageDigest is the registry reference of the image, if any.
	ImageDigest string `json:"image_digest,omitempty"`
	// InputError says the inputs could not be read (the server sent an
	// error instead of them): the job fails at once with Reason.
	InputError bool `json:"input_error,omitempty"`
	// Started and Finished bound the attempt's work on the worker (its
	// set was claimed earlier, and is reported later).
	Started  *time.Time `json:"started,omitempty"`
	Finished *time.Time `json:"finished,omitempty"`
}
