package pps

import (
	"context"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pps/datum"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

// ListDatums streams a job's datums in order, optionally only those in
// one state, skipping the first offset and stopping after limit (0: all).
func (a *API) ListDatums(ctx context.Context, pipeline, job, state string, offset, limit int, fn func(tusk.DatumInfo) error) error {
	var out []tusk.DatumInfo
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		if _, err := loadJob(ctx, tx, pipeline, job); err != nil {
			return err
		}
		docs, err := tx.Datums(ctx, project, pipeline, job, state, -1, offset, limit)
		if err != nil {
			return err
		}
		for _, doc := range docs {
			d, err := decodeDatum(doc)
			if err != nil {
				return err
			}
			out = append(out, d.DatumInfo)
		}
		return nil
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
		doc, err := tx.Datum(ctx, project, pipeline, job, id)
		if err != nil {
			return err
		}
		d, err := decodeDatum(doc)
		if err == nil {
			out = d.DatumInfo
		}
		return err
	})
	return out, err
}

// DryRunDatums lists the datums a spec would make over the current heads
// of its inputs, without creating anything.
func (a *API) DryRunDatums(ctx context.Context, p *spec.Pipeline, fn func(tusk.DatumInfo) error) error {
	if err := spec.Validate(p); err != nil {
		return tusk.Errorf(tusk.KindInvalid, "%v", err)
	}
	spec.SortInput(p.Input)
	j := &tusk.JobInfo{Pipeline: p.Name()}
	for _, in := range inputBranches(p) {
		b, err := a.pfs.InspectBranch(ctx, in.Repo, in.Branch)
		if err != nil {
			if tusk.KindOf(err) == tusk.KindNotFound {
				continue
			}
			return err
		}
		j.Inputs = append(j.Inputs, tusk.CommitRef{Repo: in.Repo, Branch: in.Branch, ID: b.Head})
	}
	in, err := resolvedInput(p, j)
	if err != nil {
		return err
	}
	lister := datum.ListerFunc(func(x *spec.PFSInput) ([]datum.File, error) {
		if x.Commit == "" {
			return nil, nil
		}
		files, err := a.pfs.InputFiles(ctx, x.Repo, x.Commit)
		out := make([]datum.File, len(files))
		for i, f := range files {
			out[i] = datum.File{Path: f.Path, Hash: f.Hash, Size: f.Size}
		}
		return out, err
	})
	i := int64(0)
	return datum.Iterate(in, lister, func(d datum.Datum) error {
		info := tusk.DatumInfo{Pipeline: p.Name(), ID: datum.ID(d), State: "", Index: i}
		i++
		for _, x := range d.Inputs {
			info.Inputs = append(info.Inputs, tusk.DatumInput{Name: x.Name, Repo: x.Repo, Branch: x.Branch, Commit: x.Commit,
				Path: x.Path, JoinOn: x.JoinOn, GroupBy: x.GroupBy})
		}
		return fn(info)
	})
}
