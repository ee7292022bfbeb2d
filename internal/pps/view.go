package pps

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// jobView calls fn with each datum row of a job (without its data), in
// order, and its position: for a job that succeeded, the rows visible in
// its generation; for any other, its own rows merged with the rows of its
// base's generation that it neither runs again nor removed (see
// meta/lineage.go). A row that is not the job's own is a datum it
// skipped. It returns the job's place in the lineage.
func jobView(ctx context.Context, tx *meta.Tx, pipeline, job string, fn func(r meta.DatumRow, pos int64) error) (meta.JobLineage, error) {
	l, _, err := tx.JobLineage(ctx, project, pipeline, job)
	if err != nil {
		return l, err
	}
	pos := int64(0)
	next := func(r meta.DatumRow) error {
		pos++
		return fn(r, pos-1)
	}
	switch {
	case l.Gen > 0:
		return l, tx.VisibleDatumRows(ctx, project, pipeline, l.Gen, "", false, next)
	case l.Base == 0:
		return l, tx.JobDatumRows(ctx, project, pipeline, job, false, next)
	}
	var own []meta.DatumRow
	err = tx.JobDatumRows(ctx, project, pipeline, job, false, func(r meta.DatumRow) error {
		own = append(own, r)
		return nil
	})
	if err != nil {
		return l, err
	}
	err = tx.VisibleDatumRows(ctx, project, pipeline, l.Base, job, false, func(r meta.DatumRow) error {
		for len(own) > 0 && (own[0].Key < r.Key || own[0].Key == r.Key && own[0].Index <= r.Index) {
			if err := next(own[0]); err != nil {
				return err
			}
			own = own[1:]
		}
		return next(r)
	})
	if err != nil {
		return l, err
	}
	for _, r := range own {
		if err := next(r); err != nil {
			return l, err
		}
	}
	return l, nil
}

// viewState is the state a job shows for a datum row of its view.
func viewState(job string, r meta.DatumRow) string {
	if r.Job != job {
		return tusk.DatumSkipped
	}
	return r.State
}

// viewDatums describes rows of the view of job j, found at positions pos,
// given j's place in the lineage, l. A datum the job skipped is described
// as the job sees it: skipped, over the job's input commits, with the
// outputs it keeps.
func viewDatums(ctx context.Context, tx *meta.Tx, j *tusk.JobInfo, l meta.JobLineage, rows []meta.DatumRow, pos []int64) ([]tusk.DatumInfo, error) {
	var own, skipped []string
	for _, r := range rows {
		if r.Job == j.ID {
			own = append(own, r.ID)
		} else {
			skipped = append(skipped, r.ID)
		}
	}
	found, err := tx.JobDatumsByID(ctx, project, j.Pipeline, j.ID, own, true)
	if err != nil {
		return nil, err
	}
	gen := l.Gen
	if gen == 0 {
		gen = l.Base
	}
	more, err := tx.VisibleDatums(ctx, project, j.Pipeline, gen, skipped, true)
	if err != nil {
		return nil, err
	}
	data := map[string][]byte{}
	for _, r := range append(found, more...) {
		data[r.ID] = r.Data
	}
	out := make([]tusk.DatumInfo, len(rows))
	for i, r := range rows {
		// The record holds more (the queue's state): the datum as users
		// see it is its DatumInfo.
		var d tusk.DatumInfo
		if err := json.Unmarshal(data[r.ID], &d); err != nil {
			return nil, fmt.Errorf("datum record: %w", err)
		}
		out[i] = d
		out[i].Index = pos[i]
		if r.Job != j.ID {
			out[i] = skippedInfo(j, &d, pos[i])
		}
	}
	return out, nil
}

// skippedInfo describes datum d, which job j skipped, at position pos of
// its datums.
func skippedInfo(j *tusk.JobInfo, d *tusk.DatumInfo, pos int64) tusk.DatumInfo {
	info := tusk.DatumInfo{Pipeline: j.Pipeline, Job: j.ID, ID: d.ID, Hash: d.Hash, State: tusk.DatumSkipped, Index: pos,
		Inputs: make([]tusk.DatumInput, len(d.Inputs)), Outputs: d.Outputs}
	for i, in := range d.Inputs {
		for _, c := range j.Inputs {
			if c.Project == tusk.OtherProject(in.Project) && c.Repo == in.Repo && c.Branch == in.Branch {
				in.Commit = c.ID
			}
		}
		info.Inputs[i] = in
	}
	return info
}
