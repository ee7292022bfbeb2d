package scheduler

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pps"
	"github.com/tuskdata/tusk/internal/pps/datum"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

// A job stores only the datums that changed since its base, the last
// successful job (see meta/lineage.go): the datums it runs, and the ones
// of its base it removes. Planning finds them by listing every datum and
// comparing it with the base's (fullPlan), or, when the input is one PFS
// or cron input made the same way as the base's, by looking only at the
// datums over the files that changed between the two input commits
// (diffPlan): then its cost grows with the change, not the input. The
// datums are counted first, from the matches of the inputs' globs, and a
// job with more than the server allows fails before any is made; those
// listed are stored a batch at a time as they come (planWriter), so
// listing millions holds little memory.

// plan is what planning a job from the changes of its input decided.
type plan struct {
	own     []ownDatum // in key order
	removed []string   // datums of the base the job no longer has
	added   int64      // datums the base did not have
	total   int64
}

// ownDatum is a datum a job stores: one it runs (QUEUED) or, rarely, one
// it skips but whose key changed (SKIPPED, a copy of the base's).
type ownDatum struct {
	rec *datumRecord
	key string
}

// planDatums decides which datums the job runs and which it skips,
// keeping their outputs, and stores the decision with the job, then
// RUNNING.
func (s *Scheduler) planDatums(ctx context.Context, p *spec.Pipeline, j *tusk.JobInfo) error {
	in, err := pps.ResolvedInput(p, j)
	if err != nil {
		return err
	}
	sig, err := signature(in, p.Salt)
	if err != nil {
		return err
	}
	var base meta.JobLineage
	err = s.db.View(ctx, func(tx *meta.Tx) error {
		base, _, err = tx.LineageHead(ctx, project, j.Pipeline)
		return err
	})
	if err != nil {
		return err
	}
	if base.Gen > 0 && !s.outputKept(ctx, j, base.Job) {
		// The base's output commit was deleted: the outputs of the datums
		// it would lend may be gone with it, so none is skipped.
		q := *p
		q.ReprocessSpec = spec.ReprocessEveryJob
		p = &q
	}
	var pl *plan
	if base.Gen > 0 && base.Signature == sig && p.ReprocessSpec != spec.ReprocessEveryJob {
		if pl, err = s.diffPlan(ctx, p, j, in, base); err != nil {
			return fmt.Errorf("make datums of %s@%s: %w", j.Pipeline, j.ID, err)
		}
		if pl != nil && pl.total > s.limits.MaxDatums {
			return s.limits.TooManyDatums(j.Pipeline, pl.total, "the job's input commits")
		}
	}
	w := &planWriter{s: s, j: j, gen: base.Gen}
	if pl != nil {
		for _, d := range pl.own {
			if err := w.add(ctx, d); err != nil {
				return err
			}
		}
	} else {
		files := pps.InputLister(ctx, s.pfs.InputFiles)
		n, err := datum.Count(in, files)
		if err != nil {
			return fmt.Errorf("count datums of %s@%s: %w", j.Pipeline, j.ID, err)
		}
		if n > s.limits.MaxDatums {
			return s.limits.TooManyDatums(j.Pipeline, n, "the job's input commits")
		}
		if pl, err = s.fullPlan(ctx, p, j, in, files, base, n, w); err != nil {
			return fmt.Errorf("make datums of %s@%s: %w", j.Pipeline, j.ID, err)
		}
	}
	j.State, j.DataTotal, j.DataSkipped = tusk.JobRunning, pl.total, pl.total-w.queued
	return w.finish(ctx, pl.removed, meta.JobLineage{Job: j.ID, Base: base.Gen, Total: pl.total, Signature: sig})
}

// outputKept reports whether the output commit of job, an earlier job of
// j's pipeline, still exists.
func (s *Scheduler) outputKept(ctx context.Context, j *tusk.JobInfo, job string) bool {
	_, err := s.pfs.InspectCommit(ctx, refOf(tusk.CommitRef{Repo: j.OutputCommit.Repo, ID: job}))
	return tusk.KindOf(err) != tusk.KindNotFound
}

// signature sums up what makes a job's datums besides its input commits:
// the input tree and the salt. A job whose signature is its base's can be
// planned from the changes of its input commits alone.
func signature(in *spec.Input, salt string) (string, error) {
	b, err := json.Marshal(in)
	if err != nil {
		return "", err
	}
	var bare spec.Input
	if err := json.Unmarshal(b, &bare); err != nil {
		return "", err
	}
	spec.Walk(&bare, func(x *spec.Input) {
		switch {
		case x.PFS != nil:
			x.PFS.Commit = ""
		case x.Cron != nil:
			x.Cron.Commit = ""
		}
	})
	if b, err = json.Marshal(bare); err != nil {
		return "", err
	}
	h := sha256.Sum256(append(append(b, 0), salt...))
	return hex.EncodeToString(h[:]), nil
}

// newDatum is the record of a datum a job runs.
func newDatum(j *tusk.JobInfo, d datum.Datum, id, hash string) *datumRecord {
	rec := &datumRecord{DatumInfo: tusk.DatumInfo{Pipeline: j.Pipeline, Job: j.ID, ID: id, Hash: hash, State: tusk.DatumQueued}}
	rec.Inputs, rec.SizeBytes = pps.DatumInputs(d)
	rec.Env = datum.Env(d, "/pfs")
	return rec
}

// fullPlan lists every datum of the job, over the files of its inputs,
// and compares each batch of them with the datums of the base (generation
// base.Gen, none when 0), handing those the job stores to w. Of the base's
// datums, it keeps only fingerprints of those the job has too (at most n,
// the count of the job's datums), to find the ones it removes at the end.
// The plan it returns has no own datums.
func (s *Scheduler) fullPlan(ctx context.Context, p *spec.Pipeline, j *tusk.JobInfo, in *spec.Input, files datum.Lister, base meta.JobLineage, n int64, w *planWriter) (*plan, error) {
	type made struct {
		d        datum.Datum
		id, hash string
	}
	pl := &plan{}
	var kept fingerprints // of the base's datums the job has too
	if base.Gen > 0 {
		kept = make(fingerprints, 0, min(n, base.Total))
	}
	pending := make([]made, 0, planBatch)
	decide := func() error {
		before := map[string]meta.DatumRow{}
		if base.Gen > 0 && len(pending) > 0 {
			ids := make([]string, len(pending))
			for i, m := range pending {
				ids[i] = m.id
			}
			err := s.db.View(ctx, func(tx *meta.Tx) error {
				rows, err := tx.VisibleDatums(ctx, project, j.Pipeline, base.Gen, ids, false)
				for _, r := range rows {
					before[r.ID] = r
					kept.add(r.ID)
				}
				return err
			})
			if err != nil {
				return err
			}
		}
		for _, m := range pending {
			old, had := before[m.id]
			rec := newDatum(j, m.d, m.id, m.hash)
			if pps.Unchanged(old, had, m.hash) && p.ReprocessSpec != spec.ReprocessEveryJob {
				if old.Key == m.d.Key {
					continue
				}
				rec.State, rec.Env = tusk.DatumSkipped, nil
			}
			if err := w.add(ctx, ownDatum{rec, m.d.Key}); err != nil {
				return err
			}
		}
		pending = pending[:0]
		return nil
	}
	err := datum.Iterate(in, files, func(d datum.Datum) error {
		pl.total++
		id, hash := datum.IDHash(d, p.Salt)
		pending = append(pending, made{d, id, hash})
		if len(pending) < planBatch {
			return nil
		}
		return decide()
	})
	if err == nil {
		err = decide()
	}
	if err != nil || base.Gen == 0 {
		return pl, err
	}
	kept.sort()
	err = s.db.View(ctx, func(tx *meta.Tx) error {
		return tx.VisibleDatumRows(ctx, project, j.Pipeline, base.Gen, "", false, func(r meta.DatumRow) error {
			if !kept.has(r.ID) {
				pl.removed = append(pl.removed, r.ID)
			}
			return nil
		})
	})
	slices.Sort(pl.removed)
	return pl, err
}

// copyOutputs gives the skipped datums recs the outputs of their versions
// in generation gen.
func (s *Scheduler) copyOutputs(ctx context.Context, pipeline string, gen int64, recs map[string]*datumRecord) error {
	if len(recs) == 0 {
		return nil
	}
	ids := make([]string, 0, len(recs))
	for id := range recs {
		ids = append(ids, id)
	}
	var rows []meta.DatumRow
	err := s.db.View(ctx, func(tx *meta.Tx) error {
		var err error
		rows, err = tx.VisibleDatums(ctx, project, pipeline, gen, ids, true)
		return err
	})
	if err != nil {
		return err
	}
	for _, r := range rows {
		old, err := decodeDatum(r.Data)
		if err != nil {
			return err
		}
		rec := recs[r.ID]
		rec.Files, rec.Outputs = old.Files, old.Outputs
	}
	return nil
}

// diffPlan plans a job whose input is one PFS or cron input, made as the
// base's was, from the files that changed between the base's input commit
// and the job's: only the datums over those files can have changed (and
// those the base recovered run again). It returns nil when the input is
// not of that kind, when the base's input commit is not known or no
// longer exists, or when so much changed that listing every datum costs
// less.
func (s *Scheduler) diffPlan(ctx context.Context, p *spec.Pipeline, j *tusk.JobInfo, in *spec.Input, base meta.JobLineage) (*plan, error) {
	x := datum.PFS(in)
	if x == nil || x.Commit == "" {
		return nil, nil
	}
	var old string
	var recovered []string
	err := s.db.View(ctx, func(tx *meta.Tx) error {
		b, err := pps.LoadJob(ctx, tx, j.Pipeline, base.Job)
		if err != nil {
			return err
		}
		for _, c := range b.Inputs {
			if c.Project == tusk.OtherProject(x.Project) && c.Repo == x.Repo && c.Branch == x.Branch {
				old = c.ID
			}
		}
		ds, err := datumsIn(ctx, tx, j.Pipeline, base.Job, tusk.DatumRecovered, 0)
		if err != nil {
			return err
		}
		for _, d := range ds {
			for _, di := range d.Inputs {
				recovered = append(recovered, di.Path)
			}
		}
		return nil
	})
	if tusk.KindOf(err) == tusk.KindNotFound || err == nil && old == "" {
		return nil, nil // the base's record is gone, or it read no commit of the input
	}
	if err != nil {
		return nil, err
	}
	var changed []string
	if old != x.Commit {
		err := s.pfs.DiffFiles(ctx, tusk.Ref{Project: x.Project, Repo: x.Repo, ID: x.Commit, Path: "/"}, &tusk.Ref{Project: x.Project, Repo: x.Repo, ID: old, Path: "/"},
			func(d tusk.FileDiff) error {
				changed = append(changed, d.Path)
				return nil
			})
		if tusk.KindOf(err) == tusk.KindNotFound {
			return nil, nil // the base's input commit was deleted or squashed
		}
		if err != nil {
			return nil, err
		}
	}
	affected, err := datum.Affected(x, changed)
	if err != nil {
		return nil, err
	}
	affected = append(affected, recovered...)
	slices.Sort(affected)
	affected = slices.Compact(affected)
	if len(affected) > 64 && int64(len(affected)) > base.Total/16 {
		return nil, nil // looking at each is dearer than listing all
	}
	files, err := s.filesUnder(ctx, x, affected)
	if err != nil {
		return nil, err
	}
	lister := datum.ListerFunc(func(*spec.PFSInput) ([]datum.File, error) { return files, nil })
	type made struct {
		d        datum.Datum
		id, hash string
	}
	var datums []made
	err = datum.Iterate(in, lister, func(d datum.Datum) error {
		id, hash := datum.IDHash(d, p.Salt)
		datums = append(datums, made{d, id, hash})
		return nil
	})
	if err != nil {
		return nil, err
	}
	gone := map[string]bool{}
	ids := make([]string, 0, len(datums)+len(affected))
	for _, q := range affected {
		id := datum.ID(datum.Datum{Inputs: []datum.Input{{Name: x.Name, Project: x.Project, Repo: x.Repo, Branch: x.Branch, Path: q}}})
		gone[id] = true
		ids = append(ids, id)
	}
	for _, m := range datums {
		delete(gone, m.id)
		ids = append(ids, m.id)
	}
	before := map[string]meta.DatumRow{}
	err = s.db.View(ctx, func(tx *meta.Tx) error {
		rows, err := tx.VisibleDatums(ctx, project, j.Pipeline, base.Gen, ids, false)
		for _, r := range rows {
			before[r.ID] = r
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	pl := &plan{}
	for _, m := range datums {
		old, had := before[m.id]
		if !had {
			pl.added++
		}
		if had && old.Hash == m.hash && pps.Skippable(old.State) && old.Key == m.d.Key {
			continue
		}
		pl.own = append(pl.own, ownDatum{newDatum(j, m.d, m.id, m.hash), m.d.Key})
	}
	for id := range gone {
		if _, ok := before[id]; ok {
			pl.removed = append(pl.removed, id)
		}
	}
	slices.Sort(pl.removed)
	slices.SortFunc(pl.own, func(a, b ownDatum) int { return cmp.Compare(a.key, b.key) })
	pl.total = base.Total + pl.added - int64(len(pl.removed))
	return pl, nil
}

// filesUnder lists the files of a PFS input's commit at or under the
// datum paths given (sorted), each once.
func (s *Scheduler) filesUnder(ctx context.Context, x *spec.PFSInput, paths []string) ([]datum.File, error) {
	var files []datum.File
	covered := ""
	for _, q := range paths {
		if covered != "" && strings.HasPrefix(q, covered) {
			continue // listed with the directory above it
		}
		if strings.HasSuffix(q, "/") {
			covered = q
		}
		at := strings.TrimSuffix(q, "/")
		if at == "" {
			at = "/"
		}
		err := s.pfs.WalkFiles(ctx, tusk.Ref{Project: x.Project, Repo: x.Repo, ID: x.Commit, Path: at}, func(f fileset.File) error {
			files = append(files, datum.File{Path: f.Path, Hash: f.Hash, Size: f.Size})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(files, func(a, b datum.File) int { return strings.Compare(a.Path, b.Path) })
	return slices.CompactFunc(files, func(a, b datum.File) bool { return a.Path == b.Path }), nil
}
