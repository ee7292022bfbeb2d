package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pps"
	"github.com/tuskdata/tusk/internal/tusk"
)

// errJobEnded is returned by storeJob for a job that another path (stop,
// delete or update of its pipeline, say) ended meanwhile.
var errJobEnded = errors.New("the job ended meanwhile")

// storeJob records j. A job that has ended keeps its final state: a
// record of another state is refused with errJobEnded, so that a
// controller holding an older copy cannot bring it back to life.
func storeJob(ctx context.Context, tx *meta.Tx, j *tusk.JobInfo) error {
	old, err := pps.LoadJob(ctx, tx, j.Pipeline, j.ID)
	if err != nil && tusk.KindOf(err) != tusk.KindNotFound {
		return err
	}
	if err == nil && tusk.JobDone(old.State) && old.State != j.State {
		return fmt.Errorf("job %s@%s is %s: %w", j.Pipeline, j.ID, old.State, errJobEnded)
	}
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	return tx.PutJob(ctx, project, j.Pipeline, j.ID, j.State, j.Created, b)
}

// EnsureJob records a job for an open output commit of a pipeline, once.
func (s *Scheduler) EnsureJob(ctx context.Context, pipeline string, c tusk.Commit) error {
	full, err := s.pfs.InspectCommit(ctx, refOf(tusk.CommitRef{Repo: c.Repo, ID: c.ID}))
	if err != nil {
		return err
	}
	c = full
	err = s.db.Update(ctx, func(tx *meta.Tx) error {
		if _, err := tx.Job(ctx, project, pipeline, c.ID); err == nil {
			return nil
		} else if tusk.KindOf(err) != tusk.KindNotFound {
			return err
		}
		r, err := pps.LoadPipeline(ctx, tx, pipeline)
		if err != nil {
			return err
		}
		p, err := r.ParseSpec()
		if err != nil {
			return err
		}
		j := &tusk.JobInfo{Pipeline: pipeline, ID: c.ID, PipelineVersion: r.Version, State: tusk.JobCreated,
			Created: now(), OutputCommit: tusk.CommitRef{Repo: c.Repo, Branch: c.Branch, ID: c.ID},
			Inputs: c.Provenance, Salt: p.Salt, Image: p.Transform.Image, Cmd: p.Transform.Cmd, ShimVersion: ShimVersion}
		return storeJob(ctx, tx, j)
	})
	s.signalJobs()
	return err
}

// ShimVersion is recorded with every job: the version of the worker shim
// that runs its datums (the tusk binary itself).
var ShimVersion = "0.1.0-dev"

// EndJob puts a job in a final state other than success and finishes its
// output commit as failed.
func (s *Scheduler) EndJob(ctx context.Context, j *tusk.JobInfo, state, reason string) error {
	t := now()
	j.State, j.Reason, j.Finished = state, reason, &t
	_, err := s.pfs.FinishOutputCommit(ctx, project, j.OutputCommit.Repo, j.ID, nil, fmt.Sprintf("job %s: %s", state, reason),
		func(tx *meta.Tx) error { return storeEndedJob(ctx, tx, j) })
	if tusk.KindOf(err) == tusk.KindConflict || tusk.KindOf(err) == tusk.KindNotFound {
		// The output commit is already finished, or gone: record the job
		// on its own.
		err = s.db.Update(ctx, func(tx *meta.Tx) error { return storeEndedJob(ctx, tx, j) })
	}
	s.signalJobs()
	if errors.Is(err, errJobEnded) {
		return nil // someone else ended it
	}
	if err != nil {
		return err
	}
	s.signalTasks(j.Pipeline)
	s.wake(j.Pipeline)
	s.log.Info("job ended", "pipeline", j.Pipeline, "job", j.ID, "state", state, "reason", reason)
	return nil
}

// setLastJobState records state as its pipeline's last job state.
func (s *Scheduler) setLastJobState(ctx context.Context, pipeline, state string) {
	err := s.db.Update(ctx, func(tx *meta.Tx) error { return storeLastJobState(ctx, tx, pipeline, state) })
	if err != nil {
		s.log.Error("record last job state", "pipeline", pipeline, "err", err)
	}
}

// storeEndedJob records a job that ended and its state as its pipeline's
// last job state, in the transaction that finishes its output commit: so
// that whoever sees the commit finished sees the pipeline's last job
// ended too.
func storeEndedJob(ctx context.Context, tx *meta.Tx, j *tusk.JobInfo) error {
	if err := storeJob(ctx, tx, j); err != nil {
		return err
	}
	return storeLastJobState(ctx, tx, j.Pipeline, j.State)
}

// storeLastJobState records a pipeline's last job state, unless the
// pipeline is gone.
func storeLastJobState(ctx context.Context, tx *meta.Tx, pipeline, state string) error {
	r, err := pps.LoadPipeline(ctx, tx, pipeline)
	if tusk.KindOf(err) == tusk.KindNotFound {
		return nil
	}
	if err != nil || r.LastJobState == state {
		return err
	}
	r.LastJobState = state
	return pps.StorePipeline(ctx, tx, r)
}

// unfinishedJobs returns a pipeline's jobs that are not in a final state,
// oldest first.
func unfinishedJobs(ctx context.Context, tx *meta.Tx, pipeline string) ([]tusk.JobInfo, error) {
	docs, err := tx.UnfinishedJobs(ctx, project, pipeline)
	if err != nil {
		return nil, err
	}
	return pps.DecodeJobs(docs)
}
