package scheduler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pfs"
	"github.com/tuskdata/tusk/internal/pps"
	"github.com/tuskdata/tusk/internal/tusk"
)

// finishFromBase finishes the job's output commit as the output of its
// base (the job base, of generation l.Base) without the outputs of the
// datums the job ran again or removed, with the outputs of those it ran.
// It reports false, having done nothing, when the outputs overlap or the
// base's output commit is gone: then the caller builds the output from
// scratch.
func (s *Scheduler) finishFromBase(ctx context.Context, j *tusk.JobInfo, l meta.JobLineage, base string, also func(*meta.Tx) error) (bool, error) {
	var own []*datumRecord
	var versions []meta.DatumRow
	err := s.db.View(ctx, func(tx *meta.Tx) error {
		own = nil
		err := tx.JobDatumRows(ctx, project, j.Pipeline, j.ID, true, func(r meta.DatumRow) error {
			d, err := decodeDatum(r.Data)
			own = append(own, d)
			return err
		})
		if err != nil {
			return err
		}
		ids, err := tx.RemovedDatums(ctx, project, j.Pipeline, j.ID)
		if err != nil {
			return err
		}
		for _, d := range own {
			if d.State != tusk.DatumSkipped {
				ids = append(ids, d.ID)
			}
		}
		versions, err = tx.VisibleDatums(ctx, project, j.Pipeline, l.Base, ids, true)
		return err
	})
	if err != nil {
		return false, err
	}
	var deletes []string
	for _, r := range versions {
		d, err := decodeDatum(r.Data)
		if err != nil {
			return false, err
		}
		for _, f := range d.Files {
			deletes = append(deletes, f.Path)
		}
	}
	var puts []fileset.File
	for _, d := range own {
		if d.State == tusk.DatumSuccess {
			puts = append(puts, d.Files...)
		}
	}
	slices.SortFunc(puts, func(x, y fileset.File) int { return strings.Compare(x.Path, y.Path) })
	_, err = s.pfs.FinishOutputCommitFrom(ctx, project, j.OutputCommit.Repo, j.ID, base, deletes, puts, also)
	if errors.Is(err, pfs.ErrNotEditable) {
		return false, nil
	}
	s.signalJobs()
	if errors.Is(err, errJobEnded) || tusk.KindOf(err) == tusk.KindConflict {
		return true, errJobEnded // stopped or deleted meanwhile
	}
	if err != nil {
		return true, s.EndJob(ctx, j, tusk.JobFailure, err.Error())
	}
	return true, nil
}

// jobFiles returns the outputs of every successful or skipped datum of
// the job, sorted by path, or why they cannot make one commit: two datums
// writing one path.
func (s *Scheduler) jobFiles(ctx context.Context, j *tusk.JobInfo, l meta.JobLineage) ([]fileset.File, string, error) {
	type owned struct {
		f     fileset.File
		datum string
	}
	var all []owned
	add := func(r meta.DatumRow) error {
		if !pps.Skippable(r.State) {
			return nil
		}
		d, err := decodeDatum(r.Data)
		if err != nil {
			return err
		}
		for _, f := range d.Files {
			all = append(all, owned{f, d.ID})
		}
		return nil
	}
	err := s.db.View(ctx, func(tx *meta.Tx) error {
		all = nil
		if err := tx.JobDatumRows(ctx, project, j.Pipeline, j.ID, true, add); err != nil {
			return err
		}
		return tx.VisibleDatumRows(ctx, project, j.Pipeline, l.Base, j.ID, true, add)
	})
	if err != nil {
		return nil, "", err
	}
	slices.SortStableFunc(all, func(x, y owned) int { return strings.Compare(x.f.Path, y.f.Path) })
	files := make([]fileset.File, len(all))
	for i, o := range all {
		if i > 0 && all[i-1].f.Path == o.f.Path {
			return nil, fmt.Sprintf("duplicate path output by different datums: %s was written by datum %s and datum %s; write to /pfs/out/$PACH_DATUM_ID/... or reduce in a later pipeline",
				o.f.Path, all[i-1].datum, o.datum), nil
		}
		if i > 0 && strings.HasPrefix(o.f.Path, all[i-1].f.Path+"/") {
			return nil, fmt.Sprintf("file / directory path collision: %s (datum %s) and %s (datum %s)",
				all[i-1].f.Path, all[i-1].datum, o.f.Path, o.datum), nil
		}
		files[i] = o.f
	}
	return files, "", nil
}
