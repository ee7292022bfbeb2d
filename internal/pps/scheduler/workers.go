package scheduler

import (
	"context"

	"github.com/tuskdata/tusk/internal/pps"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

// The leader grants each pipeline workers within the server's limits
// (pps.Limits), whatever the stored specs ask for, and asks the runner
// for them.

// grantWorkers returns how many workers a pipeline may run now, at most
// want: the spec's parallelism bounded by the limits, which a pipeline
// created under other limits may exceed. It records the grant until
// StopWorkers.
func (s *Scheduler) grantWorkers(pipeline string, want int) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	others := 0
	for name, n := range s.workers {
		if name != pipeline {
			others += n
		}
	}
	n := min(want, s.limits.MaxParallelism, s.limits.MaxTotalParallelism-others)
	if n < 1 {
		return 0, tusk.Errorf(tusk.KindUnavailable, "pipeline %q gets no worker: the other pipelines run %d, this server's limit of %d workers in all",
			pipeline, others, s.limits.MaxTotalParallelism).WithHint("stop or shrink other pipelines, or start the server with a higher --max-total-parallelism")
	}
	if n < want && s.workers[pipeline] != n {
		s.log.Warn("pipeline runs fewer workers than its spec asks for, within this server's limits",
			"pipeline", pipeline, "workers", n, "spec", want, "max_parallelism", s.limits.MaxParallelism,
			"max_total_parallelism", s.limits.MaxTotalParallelism)
	}
	s.workers[pipeline] = n
	return n, nil
}

// granted reports whether a pipeline was granted workers, none when it
// idles.
func (s *Scheduler) granted(pipeline string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.workers[pipeline]
	return ok
}

// idleWorkers scales an idle autoscaling pipeline (STANDBY) to no
// workers and gives up its grant: its version stays with the runner,
// which may keep what scales it up again fast, as Pachyderm keeps the
// replication controller at zero replicas (the kube runner keeps the
// Deployment and its token); the next job's ensureWorkers scales it up.
// Its grant stays at zero, so that stopping the pipeline, or this
// server's losing the lead, removes what the runner kept
// (StopWorkers); deleting it does too.
func (s *Scheduler) idleWorkers(ctx context.Context, r *pps.PipelineRecord, p *spec.Pipeline) error {
	s.mu.Lock()
	s.workers[r.Name] = 0
	s.mu.Unlock()
	return s.runner.Ensure(ctx, workerSpec(r.Name, r.Version, 0, p))
}

// StopWorkers removes a pipeline's workers and their grant.
func (s *Scheduler) StopWorkers(ctx context.Context, pipeline string) error {
	err := s.runner.Stop(ctx, pipeline)
	s.mu.Lock()
	delete(s.workers, pipeline)
	s.mu.Unlock()
	return err
}
