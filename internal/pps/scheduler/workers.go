package scheduler

import (
	"context"

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

// granted reports whether a pipeline was granted workers.
func (s *Scheduler) granted(pipeline string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.workers[pipeline]
	return ok
}

// StopWorkers removes a pipeline's workers and their grant.
func (s *Scheduler) StopWorkers(ctx context.Context, pipeline string) error {
	err := s.runner.Stop(ctx, pipeline)
	s.mu.Lock()
	delete(s.workers, pipeline)
	s.mu.Unlock()
	return err
}
