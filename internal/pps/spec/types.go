package spec

import (
	"encoding/json"
	"time"
)

// Pipeline is one pipeline spec: Pachyderm 2.x's CreatePipelineRequest.
// Fields Tusk does not support yet are kept as raw JSON so that Validate
// can reject them by name when they are set.
type Pipeline struct {
	Pipeline         PipelineRef      `json:"pipeline"`
	Description      string           `json:"description,omitempty"`
	Metadata         *Metadata        `json:"metadata,omitempty"`
	Transform        *Transform       `json:"transform,omitempty"`
	Input            *Input           `json:"input,omitempty"`
	ParallelismSpec  *ParallelismSpec `json:"parallelism_spec,omitempty"`
	DatumSetSpec     *DatumSetSpec    `json:"datum_set_spec,omitempty"`
	DatumTries       int64            `json:"datum_tries,omitempty"`
	DatumTimeout     Duration         `json:"datum_timeout,omitempty"`
	JobTimeout       Duration         `json:"job_timeout,omitempty"`
	OutputBranch     string           `json:"output_branch,omitempty"`
	ReprocessSpec    string           `json:"reprocess_spec,omitempty"`
	ResourceRequests *Resources       `json:"resource_requests,omitempty"`
	ResourceLimits   *Resources       `json:"resource_limits,omitempty"`
	Autoscaling      bool             `json:"autoscaling,omitempty"`
	Egress           *Egress          `json:"egress,omitempty"`
	Salt             string           `json:"salt,omitempty"`
	// Spout and Service make long-running pipelines (kind.go).
	Spout   *Spout   `json:"spout,omitempty"`
	Service *Service `json:"service,omitempty"`

	// Where and how workers run: honoured by the kube runner, refused by
	// runners that cannot honour them (pod.go).
	SchedulingSpec *SchedulingSpec `json:"scheduling_spec,omitempty"`
	Tolerations    []Toleration    `json:"tolerations,omitempty"`
	PodSpec        JSONText        `json:"pod_spec,omitempty"`
	PodPatch       JSONText        `json:"pod_patch,omitempty"`

	// Request flags of CreatePipelineRequest: the caller acts on them.
	Update    bool `json:"update,omitempty"`
	Reprocess bool `json:"reprocess,omitempty"`
	DryRun    bool `json:"dry_run,omitempty"`

	// S3Out gives the command its output as the bucket "out" of an S3
	// endpoint ($S3_ENDPOINT) instead of (as well as) /pfs/out.
	S3Out bool `json:"s3_out,omitempty"`

	// Not supported yet: Validate rejects them when set.
	TFJob                   json.RawMessage `json:"tf_job,omitempty"`
	SidecarResourceRequests json.RawMessage `json:"sidecar_resource_requests,omitempty"`
	SidecarResourceLimits   json.RawMessage `json:"sidecar_resource_limits,omitempty"`
	SpecCommit              json.RawMessage `json:"spec_commit,omitempty"`
	Determined              json.RawMessage `json:"determined,omitempty"`
	MaximumExpectedUptime   json.RawMessage `json:"maximum_expected_uptime,omitempty"`
}

// Name returns the pipeline's name.
func (p *Pipeline) Name() string { return p.Pipeline.Name }

// ProjectName returns the pipeline's project: DefaultProject when the
// spec names none.
func (p *Pipeline) ProjectName() string {
	if p.Pipeline.Project == nil || p.Pipeline.Project.Name == "" {
		return DefaultProject
	}
	return p.Pipeline.Project.Name
}

// InputProject is the project of an input's repo, of a pipeline of
// project: the one it names, else the pipeline's.
func InputProject(named, project string) string {
	if named == "" {
		return project
	}
	return named
}

// PipelineRef names a pipeline, optionally within a project.
type PipelineRef struct {
	Project *Project `json:"project,omitempty"`
	Name    string   `json:"name"`
}

// Project names a project.
type Project struct {
	Name string `json:"name"`
}

// Metadata is added to the pipeline's workers.
type Metadata struct {
	Annotations map[string]string `json:"annotations,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
}

// Transform says what to run for each datum.
type Transform struct {
	Image            string            `json:"image,omitempty"`
	Cmd              []string          `json:"cmd,omitempty"`
	Stdin            []string          `json:"stdin,omitempty"`
	ErrCmd           []string          `json:"err_cmd,omitempty"`
	ErrStdin         []string          `json:"err_stdin,omitempty"`
	Env              map[string]string `json:"env,omitempty"`
	AcceptReturnCode []int64           `json:"accept_return_code,omitempty"`
	Debug            bool              `json:"debug,omitempty"`
	User             string            `json:"user,omitempty"`
	WorkingDir       string            `json:"working_dir,omitempty"`
	Dockerfile       string            `json:"dockerfile,omitempty"`
	MemoryVolume     bool              `json:"memory_volume,omitempty"`
	DatumBatching    bool              `json:"datum_batching,omitempty"`
	// Secrets give the code values of secrets (tusk create secret).
	Secrets []SecretRef `json:"secrets,omitempty"`
	// ImagePullSecrets name the Kubernetes Secrets of registry
	// credentials the kube runner's pods pull the image with.
	ImagePullSecrets []string `json:"image_pull_secrets,omitempty"`
}

// A SecretRef gives the pipeline's code the value of a secret's key as
// the environment variable EnvVar, or every key of the secret as a file
// in the directory MountPath (runners that can: kube), or both.
type SecretRef struct {
	Name      string `json:"name"`
	Key       string `json:"key,omitempty"`
	EnvVar    string `json:"env_var,omitempty"`
	MountPath string `json:"mount_path,omitempty"`
}

// Input is a node of the input tree: exactly one field is set.
type Input struct {
	PFS   *PFSInput  `json:"pfs,omitempty"`
	Cross []*Input   `json:"cross,omitempty"`
	Union []*Input   `json:"union,omitempty"`
	Join  []*Input   `json:"join,omitempty"`
	Group []*Input   `json:"group,omitempty"`
	Cron  *CronInput `json:"cron,omitempty"`
}

// PFSInput reads the files of a repo branch, split into datums by Glob.
// Commit is empty in a pipeline spec: a job sets it to the commit it reads.
type PFSInput struct {
	Project    string `json:"project,omitempty"`
	Name       string `json:"name,omitempty"`
	Repo       string `json:"repo"`
	RepoType   string `json:"repo_type,omitempty"`
	Branch     string `json:"branch,omitempty"`
	Commit     string `json:"commit,omitempty"`
	Glob       string `json:"glob"`
	JoinOn     string `json:"join_on,omitempty"`
	OuterJoin  bool   `json:"outer_join,omitempty"`
	GroupBy    string `json:"group_by,omitempty"`
	Lazy       bool   `json:"lazy,omitempty"`
	EmptyFiles bool   `json:"empty_files,omitempty"`
	Reference  bool   `json:"reference,omitempty"`
	// S3 gives the command the input as a bucket named Name of an S3
	// endpoint ($S3_ENDPOINT), read-only at the job's commit, instead of
	// files under /pfs; its glob must be "/".
	S3 bool `json:"s3,omitempty"`

	// Not supported yet.
	Trigger         json.RawMessage `json:"trigger,omitempty"`
	PropagationSpec json.RawMessage `json:"propagation_spec,omitempty"`
}

// CronInput ticks on a schedule: each tick commits a file named by its time
// to Repo, which the pipeline reads like a PFS input with glob "/*".
// Commit, as for PFSInput, is set by a job. Start is when ticks begin;
// Pachyderm sets it to the creation time when it is left out.
type CronInput struct {
	Project   string     `json:"project,omitempty"`
	Name      string     `json:"name"`
	Repo      string     `json:"repo,omitempty"`
	Commit    string     `json:"commit,omitempty"`
	Spec      string     `json:"spec"`
	Overwrite bool       `json:"overwrite,omitempty"`
	Start     *time.Time `json:"start,omitempty"`
}

// ParallelismSpec sets the number of workers.
type ParallelismSpec struct {
	Constant uint64 `json:"constant"`
}

// DatumSetSpec says how datums are batched into units of work.
type DatumSetSpec struct {
	Number    int64 `json:"number,omitempty"`
	SizeBytes int64 `json:"size_bytes,omitempty"`
	PerWorker int64 `json:"per_worker,omitempty"`
}

// GetSizeBytes returns SizeBytes, or 0 for a nil spec.
func (d *DatumSetSpec) GetSizeBytes() int64 {
	if d == nil {
		return 0
	}
	return d.SizeBytes
}

// Resources are the resources a worker requests or is limited to.
type Resources struct {
	CPU    CPU   `json:"cpu,omitempty"`
	Memory Bytes `json:"memory,omitempty"`
	Disk   Bytes `json:"disk,omitempty"`
	// Pids is Tusk's own, not Pachyderm's: the most processes and threads
	// a worker may hold at once (under the docker runner: the container's
	// pids limit, 1024 when left out). Only resource_limits may set it.
	Pids int64 `json:"pids,omitempty"`
	// GPU asks for GPUs (runners that can: kube, any type; docker,
	// nvidia.com/gpu).
	GPU *GPU `json:"gpu,omitempty"`
}

// Egress is where a job's output is copied once all datums are done.
type Egress struct {
	URL           string          `json:"URL,omitempty"`
	ObjectStorage *ObjectStorage  `json:"object_storage,omitempty"`
	SQLDatabase   json.RawMessage `json:"sql_database,omitempty"`
}

// ObjectStorage is an object-store egress target.
type ObjectStorage struct {
	URL string `json:"url"`
}
