package pps

import (
	"context"
	"errors"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

// errEnough stops a walk over a job's datums early.
var errEnough = errors.New("enough")

// ListDatums streams a job's datums in order, optionally only those in
// one state, skipping the first offset and stopping after limit (0: all).
func (a *API) ListDatums(ctx context.Context, pipeline, job, state string, offset, limit int, fn func(tusk.DatumInfo) error) error {
	var out []tusk.DatumInfo
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		j, err := LoadJob(ctx, tx, pipeline, job)
		if err != nil {
			return err
		}
		var rows []meta.DatumRow
		var pos []int64
		skip := offset
		l, err := jobView(ctx, tx, pipeline, job, func(r meta.DatumRow, p int64) error {
			if state != "" && viewState(job, r) != state {
				return nil
			}
			if skip > 0 {
				skip--
				return nil
			}
			rows, pos = append(rows, r), append(pos, p)
			if limit > 0 && len(rows) == limit {
				return errEnough
			}
			return nil
		})
		if err != nil && !errors.Is(err, errEnough) {
			return err
		}
		out, err = viewDatums(ctx, tx, j, l, rows, pos)
		return err
	})
	if err != nil {
		return err
	}
	for _, d := range out {
		if err := fn(d); err != nil {
			return err
		}
	}
	return nil
}

// InspectDatum returns one datum of a job.
func (a *API) InspectDatum(ctx context.Context, pipeline, job, id string) (tusk.DatumInfo, error) {
	var out tusk.DatumInfo
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		j, err := LoadJob(ctx, tx, pipeline, job)
		if err != nil {
			return err
		}
		l, _, err := tx.JobLineage(ctx, project, pipeline, job)
		if err != nil {
			return err
		}
		found, pos, err := findDatum(ctx, tx, j, l, id)
		if err != nil {
			return err
		}
		if len(found) == 0 {
			return tusk.Errorf(tusk.KindNotFound, "datum %s not found in job %s@%s", id, pipeline, job).
				WithHint("list datums with: tusk list datum %s@%s", pipeline, job)
		}
		ds, err := viewDatums(ctx, tx, j, l, found, pos)
		if err == nil {
			out = ds[0]
		}
		return err
	})
	return out, err
}

// findDatum returns the row of datum id in job j, at place l of the
// lineage, and its position in the job's listing; no row if the job has
// no such datum. A job of the lineage, or one without a base, is looked
// up by index; the listing of a job that merges its own rows with its
// base's is read up to the datum.
func findDatum(ctx context.Context, tx *meta.Tx, j *tusk.JobInfo, l meta.JobLineage, id string) ([]meta.DatumRow, []int64, error) {
	if l.Gen > 0 || l.Base == 0 {
		var rows []meta.DatumRow
		var err error
		if l.Gen > 0 {
			rows, err = tx.VisibleDatums(ctx, project, j.Pipeline, l.Gen, []string{id}, false)
		} else {
			rows, err = tx.JobDatumsByID(ctx, project, j.Pipeline, j.ID, []string{id}, false)
		}
		if err != nil || len(rows) == 0 {
			return nil, nil, err
		}
		var pos int64
		if l.Gen > 0 {
			pos, err = tx.VisibleBefore(ctx, project, j.Pipeline, l.Gen, rows[0].Key, rows[0].Index)
		} else {
			pos, err = tx.JobRowsBefore(ctx, project, j.Pipeline, j.ID, rows[0].Index)
		}
		return rows[:1], []int64{pos}, err
	}
	var found []meta.DatumRow
	var pos []int64
	_, err := jobView(ctx, tx, j.Pipeline, j.ID, func(r meta.DatumRow, p int64) error {
		if r.ID != id {
			return nil
		}
		found, pos = append(found, r), append(pos, p)
		return errEnough
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, nil, err
	}
	return found, pos, nil
}

// headInput returns a copy of the pipeline's input with each pfs and cron
// input pinned to the head of its branch; inputs whose branch does not
// exist yet have no datums.
func (a *API) headInput(ctx context.Context, p *spec.Pipeline) (*spec.Input, error) {
	j := &tusk.JobInfo{Pipeline: p.Name()}
	for _, in := range inputBranches(p) {
		b, err := a.pfs.InspectBranch(ctx, in.In(project).Project, in.Repo, in.Branch)
		if err != nil {
			if tusk.KindOf(err) == tusk.KindNotFound {
				continue
			}
			return nil, err
		}
		j.Inputs = append(j.Inputs, tusk.CommitRef{Project: in.Project, Repo: in.Repo, Branch: in.Branch, ID: b.Head})
	}
	return ResolvedInput(p, j)
}
