package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tuskdata/tusk/internal/runner"
	"github.com/tuskdata/tusk/internal/tusk"
)

// A running job waits for its pipeline's workers: the runner starts them
// and they come asking for work. Workers that cannot start (an image that
// does not exist, a runner error) never come; the job then fails after the
// start timeout, with the runner's error as its reason, instead of running
// for ever while its pipeline is CRASHING. While the runner prepares the
// workers (runner.Preparing: it pulls their image), the pipeline is
// STARTING with the runner's reason, and the start timeout waits.

// DefaultWorkerStartTimeout is how long a job waits for a first worker of
// its pipeline when Options.WorkerStartTimeout is not set.
const DefaultWorkerStartTimeout = 2 * time.Minute

// workerWait is when a pipeline's running job began waiting for workers.
type workerWait struct {
	job   string
	since time.Time
}

// awaitWorkers notes that job j begins waiting for its workers, now.
func (s *Scheduler) awaitWorkers(j *tusk.JobInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits[j.Pipeline] = workerWait{job: j.ID, since: time.Now()}
}

// workerSeen notes that a worker of pipeline asked for work or renewed
// its leases, here and, when another server leads, there.
func (s *Scheduler) workerSeen(pipeline string) {
	s.seeWorker(pipeline)
	if !s.leading() {
		s.relay.sendSeen(pipeline)
	}
}

func (s *Scheduler) seeWorker(pipeline string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen[pipeline] = time.Now()
}

// workersLate reports whether no worker of j's pipeline has asked for work
// since j began waiting, for longer than the start timeout; if not late
// yet and still waiting, left is how long until it would be.
func (s *Scheduler) workersLate(j *tusk.JobInfo) (late bool, left time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.waits[j.Pipeline]
	if !ok || w.job != j.ID {
		// Waiting since before a restart of this server, whose workers
		// started again with it.
		w = workerWait{job: j.ID, since: time.Now()}
		s.waits[j.Pipeline] = w
	}
	if s.seen[j.Pipeline].After(w.since) {
		return false, 0
	}
	left = s.startTimeout - time.Since(w.since)
	return left <= 0, left
}

// startFailure is the reason a job fails when its workers did not start:
// the runner's error, if it reported one.
func (s *Scheduler) startFailure(pipeline string, runnerErr error) string {
	if runnerErr != nil {
		return fmt.Sprintf("workers did not start within %v: %v", s.startTimeout, runnerErr)
	}
	return fmt.Sprintf("no worker of pipeline %s asked for work within %v (see the server's log)", pipeline, s.startTimeout)
}

// workersNotUp shows why the runner did not start a pipeline's workers:
// STARTING with its reason while it prepares them, else CRASHING with its
// error. It returns how long to wait before asking the runner again.
func (s *Scheduler) workersNotUp(ctx context.Context, pipeline string, runnerErr error) (time.Duration, error) {
	var prep *runner.Preparing
	if errors.As(runnerErr, &prep) {
		return time.Second, s.setState(ctx, pipeline, tusk.PipelineStarting, prep.Reason)
	}
	return 10 * time.Second, s.setState(ctx, pipeline, tusk.PipelineCrashing, runnerErr.Error())
}

// preparing reports whether the runner's error says it prepares the
// workers.
func preparing(runnerErr error) bool {
	var prep *runner.Preparing
	return errors.As(runnerErr, &prep)
}
