package pps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

func loadJob(ctx context.Context, tx *meta.Tx, pipeline, id string) (*tusk.JobInfo, error) {
	b, err := tx.Job(ctx, project, pipeline, id)
	if err != nil {
		return nil, err
	}
	var j tusk.JobInfo
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("job %s@%s: %w", pipeline, id, err)
	}
	return &j, nil
}

// errJobEnded is returned by storeJob for a job that another path (stop,
// delete or update of its pipeline, say) ended meanwhile.
var errJobEnded = errors.New("the job ended meanwhile")

// storeJob records j. A job that has ended keeps its final state: a
// record of another state is refused with errJobEnded, so that a
// controller holding an older copy cannot bring it back to life.
func storeJob(ctx context.Context, tx *meta.Tx, j *tusk.JobInfo) error {
	old, err := loadJob(ctx, tx, j.Pipeline, j.ID)
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

func decodeJobs(docs [][]byte) ([]tusk.JobInfo, error) {
	out := make([]tusk.JobInfo, 0, len(docs))
	for _, d := range docs {
		var j tusk.JobInfo
		if err := json.Unmarshal(d, &j); err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, nil
}

// ensureJob records a job for an open output commit of a pipeline, once.
func (a *API) ensureJob(ctx context.Context, pipeline string, c tusk.Commit) error {
	full, err := a.pfs.InspectCommit(ctx, refOf(tusk.CommitRef{Repo: c.Repo, ID: c.ID}))
	if err != nil {
		return err
	}
	c = full
	err = a.db.Update(ctx, func(tx *meta.Tx) error {
		if _, err := tx.Job(ctx, project, pipeline, c.ID); err == nil {
			return nil
		} else if tusk.KindOf(err) != tusk.KindNotFound {
			return err
		}
		r, err := loadPipeline(ctx, tx, pipeline)
		if err != nil {
			return err
		}
		p, err := r.spec()
		if err != nil {
			return err
		}
		j := &tusk.JobInfo{Pipeline: pipeline, ID: c.ID, PipelineVersion: r.Version, State: tusk.JobCreated,
			Created: now(), OutputCommit: tusk.CommitRef{Repo: c.Repo, Branch: c.Branch, ID: c.ID},
			Inputs: c.Provenance, Salt: p.Salt, Image: p.Transform.Image, Cmd: p.Transform.Cmd, ShimVersion: ShimVersion}
		return storeJob(ctx, tx, j)
	})
	a.signalJobs()
	return err
}

// ShimVersion is recorded with every job: the version of the worker shim
// that runs its datums (the tusk binary itself).
var ShimVersion = "0.1.0-dev"

// InspectJob returns a job.
func (a *API) InspectJob(ctx context.Context, pipeline, id string) (tusk.JobInfo, error) {
	var out tusk.JobInfo
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		j, err := loadJob(ctx, tx, pipeline, id)
		if err == nil {
			out = *j
		}
		return err
	})
	return out, err
}

// ListJobs returns jobs newest first, of one pipeline and/or one commit
// set when given.
func (a *API) ListJobs(ctx context.Context, pipeline, id string, limit int) ([]tusk.JobInfo, error) {
	var out []tusk.JobInfo
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		if pipeline != "" {
			if _, err := loadPipeline(ctx, tx, pipeline); err != nil {
				return err
			}
		}
		docs, err := tx.Jobs(ctx, project, pipeline, id, limit)
		if err != nil {
			return err
		}
		out, err = decodeJobs(docs)
		return err
	})
	return out, err
}

// WaitJob blocks until a job (or, with pipeline empty, every job of the
// commit set id) is done.
func (a *API) WaitJob(ctx context.Context, pipeline, id string) ([]tusk.JobInfo, error) {
	for {
		changed := a.jobsChanged()
		var jobs []tusk.JobInfo
		if pipeline != "" {
			j, err := a.InspectJob(ctx, pipeline, id)
			if err != nil {
				return nil, err
			}
			jobs = []tusk.JobInfo{j}
		} else {
			var err error
			if jobs, err = a.ListJobs(ctx, "", id, 0); err != nil {
				return nil, err
			}
			if len(jobs) == 0 {
				return nil, tusk.Errorf(tusk.KindNotFound, "no job in commit set %s", id)
			}
		}
		done := true
		for _, j := range jobs {
			done = done && tusk.JobDone(j.State)
		}
		if done {
			return jobs, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-changed:
		}
	}
}

// StopJob kills a running job; its output commit is finished as failed.
func (a *API) StopJob(ctx context.Context, pipeline, id string) error {
	j, err := a.InspectJob(ctx, pipeline, id)
	if err != nil {
		return err
	}
	if tusk.JobDone(j.State) {
		return nil
	}
	return a.endJob(ctx, &j, tusk.JobKilled, "stopped by user")
}

// DeleteJob removes a finished job's records (its output commit stays).
func (a *API) DeleteJob(ctx context.Context, pipeline, id string) error {
	j, err := a.InspectJob(ctx, pipeline, id)
	if err != nil {
		return err
	}
	if !tusk.JobDone(j.State) {
		if err := a.endJob(ctx, &j, tusk.JobKilled, "deleted by user"); err != nil {
			return err
		}
	}
	return a.db.Update(ctx, func(tx *meta.Tx) error { return tx.DeleteJob(ctx, project, pipeline, id) })
}

// killJobs ends every unfinished job of a pipeline.
func (a *API) killJobs(ctx context.Context, pipeline, reason string) {
	jobs, err := a.unfinishedJobs(ctx, pipeline)
	if err != nil {
		a.log.Error("kill jobs", "pipeline", pipeline, "err", err)
		return
	}
	for i := range jobs {
		if err := a.endJob(ctx, &jobs[i], tusk.JobKilled, reason); err != nil {
			a.log.Error("kill job", "pipeline", pipeline, "job", jobs[i].ID, "err", err)
		}
	}
}

// endJob puts a job in a final state other than success and finishes its
// output commit as failed.
func (a *API) endJob(ctx context.Context, j *tusk.JobInfo, state, reason string) error {
	t := now()
	j.State, j.Reason, j.Finished = state, reason, &t
	_, err := a.pfs.FinishOutputCommit(ctx, j.OutputCommit.Repo, j.ID, nil, fmt.Sprintf("job %s: %s", state, reason),
		func(tx *meta.Tx) error { return storeEndedJob(ctx, tx, j) })
	if tusk.KindOf(err) == tusk.KindConflict || tusk.KindOf(err) == tusk.KindNotFound {
		// The output commit is already finished, or gone: record the job
		// on its own.
		err = a.db.Update(ctx, func(tx *meta.Tx) error { return storeEndedJob(ctx, tx, j) })
	}
	a.signalJobs()
	if errors.Is(err, errJobEnded) {
		return nil // someone else ended it
	}
	if err != nil {
		return err
	}
	a.signalTasks(j.Pipeline)
	a.wake(j.Pipeline)
	a.log.Info("job ended", "pipeline", j.Pipeline, "job", j.ID, "state", state, "reason", reason)
	return nil
}

// setLastJobState records state as its pipeline's last job state.
func (a *API) setLastJobState(ctx context.Context, pipeline, state string) {
	err := a.db.Update(ctx, func(tx *meta.Tx) error { return storeLastJobState(ctx, tx, pipeline, state) })
	if err != nil {
		a.log.Error("record last job state", "pipeline", pipeline, "err", err)
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
	r, err := loadPipeline(ctx, tx, pipeline)
	if tusk.KindOf(err) == tusk.KindNotFound {
		return nil
	}
	if err != nil || r.LastJobState == state {
		return err
	}
	r.LastJobState = state
	return storePipeline(ctx, tx, r)
}

// JobInputs returns the input commits of a pipeline's unfinished jobs,
// keyed by repo and commit ID (Branch empty): what its workers may read.
func (a *API) JobInputs(ctx context.Context, pipeline string) (map[tusk.CommitRef]bool, error) {
	jobs, err := a.unfinishedJobs(ctx, pipeline)
	if err != nil {
		return nil, fmt.Errorf("input commits of pipeline %s's jobs: %w", pipeline, err)
	}
	out := make(map[tusk.CommitRef]bool)
	for _, j := range jobs {
		for _, in := range j.Inputs {
			out[tusk.CommitRef{Repo: in.Repo, ID: in.ID}] = true
		}
	}
	return out, nil
}

// unfinishedJobs returns a pipeline's jobs that are not in a final state.
func (a *API) unfinishedJobs(ctx context.Context, pipeline string) ([]tusk.JobInfo, error) {
	var jobs []tusk.JobInfo
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		docs, err := tx.UnfinishedJobs(ctx, project, pipeline)
		if err != nil {
			return err
		}
		jobs, err = decodeJobs(docs)
		return err
	})
	return jobs, err
}
