package pps

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// LoadJob reads the record of a job.
func LoadJob(ctx context.Context, tx *meta.Tx, pipeline, id string) (*tusk.JobInfo, error) {
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

// DecodeJobs decodes job records.
func DecodeJobs(docs [][]byte) ([]tusk.JobInfo, error) {
	out := make([]tusk.JobInfo, 0, len(docs))
	for _, d := range docs {
		var j tusk.JobInfo
		if err := json.Unmarshal(d, &j); err != nil {
			return nil, fmt.Errorf("job record: %w", err)
		}
		out = append(out, j)
	}
	return out, nil
}

// InspectJob returns a job.
func (a *API) InspectJob(ctx context.Context, pipeline, id string) (tusk.JobInfo, error) {
	var out tusk.JobInfo
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		j, err := LoadJob(ctx, tx, pipeline, id)
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
			if _, err := LoadPipeline(ctx, tx, pipeline); err != nil {
				return err
			}
		}
		docs, err := tx.Jobs(ctx, project, pipeline, id, limit)
		if err != nil {
			return err
		}
		out, err = DecodeJobs(docs)
		return err
	})
	return out, err
}

// WaitJob blocks until a job (or, with pipeline empty, every job of the
// commit set id) is done.
func (a *API) WaitJob(ctx context.Context, pipeline, id string) ([]tusk.JobInfo, error) {
	for {
		changed := a.sched.JobsChanged()
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
	return a.sched.EndJob(ctx, &j, tusk.JobKilled, "stopped by user")
}

// DeleteJob removes a finished job's records (its output commit stays).
func (a *API) DeleteJob(ctx context.Context, pipeline, id string) error {
	j, err := a.InspectJob(ctx, pipeline, id)
	if err != nil {
		return err
	}
	if !tusk.JobDone(j.State) {
		if err := a.sched.EndJob(ctx, &j, tusk.JobKilled, "deleted by user"); err != nil {
			return err
		}
	}
	return a.db.Update(ctx, func(tx *meta.Tx) error { return tx.DeleteJob(ctx, project, pipeline, id) })
}

// killJobs ends every unfinished job of a pipeline but those of the
// IDs keep.
func (a *API) killJobs(ctx context.Context, pipeline, reason string, keep ...string) {
	jobs, err := a.unfinishedJobs(ctx, pipeline)
	if err != nil {
		a.log.Error("kill jobs", "pipeline", pipeline, "err", err)
		return
	}
	for i := range jobs {
		if slices.Contains(keep, jobs[i].ID) {
			continue
		}
		if err := a.sched.EndJob(ctx, &jobs[i], tusk.JobKilled, reason); err != nil {
			a.log.Error("kill job", "pipeline", pipeline, "job", jobs[i].ID, "err", err)
		}
	}
}

// JobInputs returns the input commits of a pipeline's unfinished jobs,
// keyed by project (empty for the default one), repo and commit ID
// (Branch empty): what its workers may read.
func (a *API) JobInputs(ctx context.Context, pipeline string) (map[tusk.CommitRef]bool, error) {
	jobs, err := a.unfinishedJobs(ctx, pipeline)
	if err != nil {
		return nil, fmt.Errorf("input commits of pipeline %s's jobs: %w", pipeline, err)
	}
	out := make(map[tusk.CommitRef]bool)
	for _, j := range jobs {
		for _, in := range j.Inputs {
			out[tusk.CommitRef{Project: in.Project, Repo: in.Repo, ID: in.ID}] = true
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
		jobs, err = DecodeJobs(docs)
		return err
	})
	return jobs, err
}
