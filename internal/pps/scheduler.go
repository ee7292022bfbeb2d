package pps

import (
	"context"

	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Scheduler runs the jobs of the pipelines that the API records (package
// pps/scheduler): the API tells it what changed, has it make and end
// jobs, and waits on its signals, which reach every server sharing the
// metadata store.
type Scheduler interface {
	// PipelineChanged has the controller of a pipeline that was created,
	// updated, stopped or started look at it now, on the leader.
	PipelineChanged(pipeline string)
	// PipelineDeleted forgets the controller of a deleted pipeline; the
	// leader's stops its workers.
	PipelineDeleted(pipeline string)
	// StopWorkers stops the workers this server runs for a pipeline.
	StopWorkers(ctx context.Context, pipeline string) error
	// EnsureJob records a job for an open output commit of a pipeline,
	// once.
	EnsureJob(ctx context.Context, pipeline string, c tusk.Commit) error
	// EndJob puts an unfinished job in a final state other than success,
	// for reason, and finishes its output commit as failed.
	EndJob(ctx context.Context, j *tusk.JobInfo, state, reason string) error
	// JobsChanged returns a channel closed at the next change of any job.
	JobsChanged() <-chan struct{}
	// LogsChanged returns a channel closed at the next SignalLogs of a
	// pipeline, which says that it has new log lines.
	LogsChanged(pipeline string) <-chan struct{}
	SignalLogs(pipeline string)
	// CheckRunner refuses a spec that asks for what the runner of the
	// workers cannot honour (a toleration on the docker runner).
	CheckRunner(p *spec.Pipeline) error
}
