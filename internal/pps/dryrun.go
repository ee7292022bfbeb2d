package pps

import (
	"context"
	"fmt"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pps/datum"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

// dryRunBatch is how many datums DryRunDatums compares with the
// pipeline's last successful job in one read.
const dryRunBatch = 1000

// Skippable reports whether a datum that was in state state in the
// pipeline's last successful job may be skipped when its hash did not
// change: failed and recovered ones run again.
func Skippable(state string) bool { return state == tusk.DatumSuccess || state == tusk.DatumSkipped }

// Unchanged reports whether a datum of hash may be skipped given old, its
// row in the base job, if had: the job's planning and DryRunDatums decide
// by it alike.
func Unchanged(old meta.DatumRow, had bool, hash string) bool {
	return had && old.Hash == hash && Skippable(old.State)
}

// DryRunDatums lists the datums a spec would make over the current heads
// of its inputs, without creating anything, in the order a job would
// make them. Each is QUEUED (it would run) or SKIPPED, with the reason,
// as the next job would decide if the spec were applied now: a new
// pipeline runs every datum; an update keeps the pipeline's salt, so
// the datums its last successful job processed over the same input files
// are skipped, unless reprocess (update --reprocess) or the spec's
// reprocess_spec says every_job.
func (a *API) DryRunDatums(ctx context.Context, p *spec.Pipeline, reprocess bool, fn func(tusk.DatumInfo) error) error {
	if err := spec.Validate(p); err != nil {
		return tusk.Errorf(tusk.KindInvalid, "%v", err)
	}
	spec.SortInput(p.Input)
	if err := a.checkDatums(ctx, p); err != nil {
		return err
	}
	in, err := a.headInput(ctx, p)
	if err != nil {
		return err
	}
	d, err := a.dryRunDecider(ctx, p, reprocess)
	if err != nil {
		return err
	}
	var pending []tusk.DatumInfo
	flush := func() error {
		if err := d.decide(ctx, pending); err != nil {
			return err
		}
		for _, info := range pending {
			if err := fn(info); err != nil {
				return err
			}
		}
		pending = pending[:0]
		return nil
	}
	i := int64(0)
	err = datum.Iterate(in, InputLister(ctx, a.pfs.InputFiles), func(x datum.Datum) error {
		id, hash := datum.IDHash(x, d.salt)
		info := tusk.DatumInfo{Pipeline: p.Name(), ID: id, Hash: hash, Index: i}
		i++
		info.Inputs, info.SizeBytes = DatumInputs(x)
		if pending = append(pending, info); len(pending) < dryRunBatch {
			return nil
		}
		return flush()
	})
	if err != nil {
		return err
	}
	return flush()
}

// A dryRunDecider decides, as a job's planning would, which datums of a
// spec run and which are skipped.
type dryRunDecider struct {
	a    *API
	name string
	salt string
	// all, if not empty, is why every datum runs.
	all string
	// base is the pipeline's last successful job, whose datums with the
	// same hash are skipped.
	base meta.JobLineage
}

// dryRunDecider looks up what decides the datums of spec p: the
// pipeline's salt and its last successful job.
func (a *API) dryRunDecider(ctx context.Context, p *spec.Pipeline, reprocess bool) (*dryRunDecider, error) {
	d := &dryRunDecider{a: a, name: p.Name(), salt: p.Salt}
	var old *PipelineRecord
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		r, err := LoadPipeline(ctx, tx, p.Name())
		switch {
		case tusk.KindOf(err) == tusk.KindNotFound:
			return nil
		case err != nil:
			return err
		}
		old = r
		d.base, _, err = tx.LineageHead(ctx, project, p.Name())
		return err
	})
	if err != nil {
		return nil, err
	}
	if old != nil {
		s, err := old.ParseSpec()
		if err != nil {
			return nil, err
		}
		d.salt = s.Salt
	}
	switch {
	case old == nil:
		d.all = "the pipeline is new"
	case reprocess:
		d.all = "--reprocess: every datum runs again"
	case p.ReprocessSpec == spec.ReprocessEveryJob:
		d.all = "reprocess_spec is every_job"
	case d.base.Gen == 0:
		d.all = "no job of the pipeline has succeeded yet"
	default:
		ref := tusk.Ref{Repo: p.Name(), ID: d.base.Job, Path: "/"}
		if _, err := a.pfs.InspectCommit(ctx, ref); tusk.KindOf(err) == tusk.KindNotFound {
			d.all = fmt.Sprintf("the output commit of job %s, whose outputs skipped datums keep, was deleted", d.base.Job)
		} else if err != nil {
			return nil, err
		}
	}
	return d, nil
}

// decide sets the state and reason of each of infos.
func (d *dryRunDecider) decide(ctx context.Context, infos []tusk.DatumInfo) error {
	if d.all != "" {
		for i := range infos {
			infos[i].State, infos[i].Reason = tusk.DatumQueued, d.all
		}
		return nil
	}
	ids := make([]string, len(infos))
	for i, info := range infos {
		ids[i] = info.ID
	}
	before := map[string]meta.DatumRow{}
	err := d.a.db.View(ctx, func(tx *meta.Tx) error {
		rows, err := tx.VisibleDatums(ctx, project, d.name, d.base.Gen, ids, false)
		for _, r := range rows {
			before[r.ID] = r
		}
		return err
	})
	if err != nil {
		return err
	}
	for i := range infos {
		info := &infos[i]
		old, had := before[info.ID]
		info.State = tusk.DatumQueued
		switch {
		case Unchanged(old, had, info.Hash):
			info.State, info.Reason = tusk.DatumSkipped, fmt.Sprintf("unchanged since job %s", d.base.Job)
		case !had:
			info.Reason = fmt.Sprintf("new: job %s had no such datum", d.base.Job)
		case old.Hash != info.Hash:
			info.Reason = fmt.Sprintf("changed: its input files differ from job %s's", d.base.Job)
		default:
			info.Reason = fmt.Sprintf("%s in job %s", old.State, d.base.Job)
		}
	}
	return nil
}
