package scheduler

import (
	"context"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pps"
	"github.com/tuskdata/tusk/internal/runner"
	"github.com/tuskdata/tusk/internal/tusk"
)

// A service's job runs its one datum for as long as it is the newest:
// the command serves its port on the input's newest commit, and is
// restarted on the next when a new job comes. The older job then ends as
// a success, its output commit empty, as Pachyderm's do; its worker
// learns it from a heartbeat, stops the command and claims the new job's
// datum.

// serviceHeartbeat is the lease, in seconds, that a service's datum gives
// its worker to heartbeat by (it heartbeats three times as often): how
// soon a new job restarts the service.
const serviceHeartbeat = 3

// supersede ends a service's job j, which a newer job replaces.
func (s *Scheduler) supersede(ctx context.Context, j *tusk.JobInfo, newer string) error {
	t := now()
	j.State, j.Reason, j.Finished = tusk.JobSuccess, "the service moved on to job "+newer, &t
	_, err := s.pfs.FinishOutputCommit(ctx, project, j.OutputCommit.Repo, j.ID, nil, "",
		func(tx *meta.Tx) error { return storeEndedJob(ctx, tx, j) })
	if tusk.KindOf(err) == tusk.KindConflict || tusk.KindOf(err) == tusk.KindNotFound {
		err = s.db.Update(ctx, func(tx *meta.Tx) error { return storeEndedJob(ctx, tx, j) })
	}
	if err != nil {
		return err
	}
	s.signalJobs()
	s.signalTasks(j.Pipeline)
	s.log.Info("service job superseded", "pipeline", j.Pipeline, "job", j.ID, "by", newer)
	return nil
}

// noteAddress records where the runner published the port of service r,
// whose workers w runs, when it changed.
func (s *Scheduler) noteAddress(ctx context.Context, r *pps.PipelineRecord, w runner.WorkerSpec) error {
	a, ok := s.runner.(runner.Addresser)
	if w.Service == nil || !ok {
		return nil
	}
	addr := a.ServiceAddress(w)
	if r.ServiceAddress == addr {
		return nil
	}
	return s.db.Update(ctx, func(tx *meta.Tx) error {
		r, err := pps.LoadPipeline(ctx, tx, r.Name)
		if err != nil || r.ServiceAddress == addr {
			return err
		}
		r.ServiceAddress = addr
		return pps.StorePipeline(ctx, tx, r)
	})
}
