package pps

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pps/datum"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

// datumRecord is a datum as stored: what the API shows, plus the files it
// output and the environment its command gets.
type datumRecord struct {
	tusk.DatumInfo
	Env   []string       `json:"env,omitempty"`
	Files []fileset.File `json:"files,omitempty"`
}

func storeDatum(ctx context.Context, tx *meta.Tx, d *datumRecord, lease time.Time) error {
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return tx.PutDatum(ctx, project, d.Pipeline, d.Job, d.ID, d.Index, d.State, lease, b)
}

func decodeDatum(b []byte) (*datumRecord, error) {
	var d datumRecord
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("datum record: %w", err)
	}
	return &d, nil
}

// startJob waits for the job's input commits, then makes its datums.
func (a *API) startJob(ctx context.Context, r *record, p *spec.Pipeline, j *tusk.JobInfo) (time.Duration, error) {
	if j.State == tusk.JobCreated {
		t := now()
		j.State, j.Started = tusk.JobStarting, &t
		if err := a.saveJob(ctx, j); err != nil {
			return 0, err
		}
	}
	for _, in := range j.Inputs {
		c, err := a.pfs.InspectCommit(ctx, refOf(in))
		if err != nil {
			return 0, a.endJob(ctx, j, tusk.JobUnrunnable, fmt.Sprintf("input commit %s: %v", in, err))
		}
		if c.State != tusk.CommitFinished {
			return time.Minute, nil // woken by the commit's event
		}
		if c.Error != "" {
			return 0, a.endJob(ctx, j, tusk.JobUnrunnable, fmt.Sprintf("input commit %s failed: %s", in, c.Error))
		}
	}
	if err := a.planDatums(ctx, p, j); err != nil {
		return 0, err
	}
	j.State = tusk.JobRunning
	if err := a.saveJob(ctx, j); err != nil {
		return 0, err
	}
	if j.DataTotal > j.DataSkipped {
		if err := a.ensureWorkers(ctx, r); err != nil {
			return 0, err
		}
	}
	a.setState(ctx, r.Name, tusk.PipelineRunning, "")
	a.signalTasks(j.Pipeline)
	return 0, nil
}

// resolvedInput returns a copy of the pipeline's input with each pfs and
// cron input pinned to the job's input commit of its branch.
func resolvedInput(p *spec.Pipeline, j *tusk.JobInfo) (*spec.Input, error) {
	b, err := json.Marshal(p.Input)
	if err != nil {
		return nil, err
	}
	var in spec.Input
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, err
	}
	commitOf := func(repo, branch string) string {
		for _, c := range j.Inputs {
			if c.Repo == repo && c.Branch == branch {
				return c.ID
			}
		}
		return ""
	}
	spec.Walk(&in, func(x *spec.Input) {
		switch {
		case x.PFS != nil:
			x.PFS.Commit = commitOf(x.PFS.Repo, x.PFS.Branch)
		case x.Cron != nil:
			x.Cron.Commit = commitOf(x.Cron.Repo, "master")
		}
	})
	return &in, nil
}

// planDatums lists the job's datums and marks those whose inputs did not
// change since the last successful job as skipped, keeping their outputs.
func (a *API) planDatums(ctx context.Context, p *spec.Pipeline, j *tusk.JobInfo) error {
	in, err := resolvedInput(p, j)
	if err != nil {
		return err
	}
	cache := map[string][]datum.File{}
	lister := datum.ListerFunc(func(x *spec.PFSInput) ([]datum.File, error) {
		if x.Commit == "" {
			return nil, nil
		}
		key := x.Repo + "@" + x.Commit
		if fs, ok := cache[key]; ok {
			return fs, nil
		}
		files, err := a.pfs.InputFiles(ctx, x.Repo, x.Commit)
		if err != nil {
			return nil, err
		}
		out := make([]datum.File, len(files))
		for i, f := range files {
			out[i] = datum.File{Path: f.Path, Hash: f.Hash, Size: f.Size}
		}
		cache[key] = out
		return out, nil
	})
	base, err := a.baseDatums(ctx, j)
	if err != nil {
		return err
	}
	var recs []*datumRecord
	err = datum.Iterate(in, lister, func(d datum.Datum) error {
		rec := &datumRecord{DatumInfo: tusk.DatumInfo{Pipeline: j.Pipeline, Job: j.ID, ID: datum.ID(d),
			Hash: datum.Hash(d, p.Salt), State: tusk.DatumQueued, Index: int64(len(recs))}}
		for _, x := range d.Inputs {
			rec.Inputs = append(rec.Inputs, tusk.DatumInput{Name: x.Name, Repo: x.Repo, Branch: x.Branch, Commit: x.Commit,
				Path: x.Path, JoinOn: x.JoinOn, GroupBy: x.GroupBy, EmptyFiles: x.EmptyFiles, Lazy: x.Lazy})
		}
		rec.Env = datum.Env(d, "/pfs")
		if old, ok := base[rec.ID]; ok && old.Hash == rec.Hash && p.ReprocessSpec != spec.ReprocessEveryJob &&
			(old.State == tusk.DatumSuccess || old.State == tusk.DatumSkipped) {
			rec.State, rec.Files, rec.Outputs = tusk.DatumSkipped, old.Files, old.Outputs
		}
		recs = append(recs, rec)
		return nil
	})
	if err != nil {
		return fmt.Errorf("make datums of %s@%s: %w", j.Pipeline, j.ID, err)
	}
	j.DataTotal, j.DataSkipped = int64(len(recs)), 0
	for i := 0; i < len(recs); i += 1000 {
		batch := recs[i:min(i+1000, len(recs))]
		err := a.db.Update(ctx, func(tx *meta.Tx) error {
			for _, rec := range batch {
				if err := storeDatum(ctx, tx, rec, time.Time{}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for _, rec := range recs {
		if rec.State == tusk.DatumSkipped {
			j.DataSkipped++
		}
	}
	return nil
}

// baseDatums returns the datums of the pipeline's last successful job.
func (a *API) baseDatums(ctx context.Context, j *tusk.JobInfo) (map[string]*datumRecord, error) {
	out := map[string]*datumRecord{}
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		docs, err := tx.Jobs(ctx, project, j.Pipeline, "", 0)
		if err != nil {
			return err
		}
		jobs, err := decodeJobs(docs)
		if err != nil {
			return err
		}
		for _, b := range jobs {
			if b.ID == j.ID || b.State != tusk.JobSuccess {
				continue
			}
			ds, err := tx.Datums(ctx, project, j.Pipeline, b.ID, "", -1, 0, 0)
			if err != nil {
				return err
			}
			for _, doc := range ds {
				d, err := decodeDatum(doc)
				if err != nil {
					return err
				}
				out[d.ID] = d
			}
			return nil
		}
		return nil
	})
	return out, err
}

// runJob checks on a running job: done when no datum is queued or running.
func (a *API) runJob(ctx context.Context, r *record, p *spec.Pipeline, j *tusk.JobInfo) (time.Duration, error) {
	// Cheap index lookups decide whether the job is done; the counts
	// (a scan of the job's datums) are refreshed at most every second, so
	// that a job of a million datums does not cost a scan per datum.
	var pending bool
	var counts map[string]int64
	refresh := time.Since(a.counted(j.ID)) >= time.Second
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		var err error
		if pending, err = tx.HasDatums(ctx, project, j.Pipeline, j.ID, tusk.DatumQueued, tusk.DatumRunning); err != nil {
			return err
		}
		if refresh || !pending {
			counts, err = tx.CountDatums(ctx, project, j.Pipeline, j.ID)
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	if counts != nil {
		a.markCounted(j.ID)
		j.DataProcessed, j.DataSkipped = counts[tusk.DatumSuccess], counts[tusk.DatumSkipped]
		j.DataFailed, j.DataRecovered = counts[tusk.DatumFailed], counts[tusk.DatumRecovered]
	}
	if pending {
		if counts != nil {
			if err := a.saveJob(ctx, j); err != nil {
				return 0, err
			}
		}
		if err := a.ensureWorkers(ctx, r); err != nil {
			a.setState(ctx, r.Name, tusk.PipelineCrashing, err.Error())
		}
		// Leases of dead workers expire: let waiting workers look again.
		a.signalTasks(j.Pipeline)
		return a.lease, nil
	}
	if j.DataFailed > 0 {
		reason := "datums failed"
		a.db.View(ctx, func(tx *meta.Tx) error {
			docs, err := tx.Datums(ctx, project, j.Pipeline, j.ID, tusk.DatumFailed, -1, 0, 1)
			if err == nil && len(docs) == 1 {
				if d, err := decodeDatum(docs[0]); err == nil {
					reason = fmt.Sprintf("datum %s failed: %s", d.ID, d.Reason)
				}
			}
			return nil
		})
		return 0, a.endJob(ctx, j, tusk.JobFailure, reason)
	}
	j.State = tusk.JobFinishing
	if p.Egress != nil {
		j.State = tusk.JobEgressing
	}
	return 0, a.saveJob(ctx, j)
}

// counted returns when a job's datums were last counted.
func (a *API) counted(job string) time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.lastCount[job]
}

func (a *API) markCounted(job string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.lastCount[job] = time.Now()
}

// finishJob commits the outputs of every successful or skipped datum; two
// datums writing one path fail the job.
func (a *API) finishJob(ctx context.Context, p *spec.Pipeline, j *tusk.JobInfo) error {
	type owned struct {
		f     fileset.File
		datum string
	}
	var all []owned
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		docs, err := tx.Datums(ctx, project, j.Pipeline, j.ID, "", -1, 0, 0)
		if err != nil {
			return err
		}
		for _, doc := range docs {
			d, err := decodeDatum(doc)
			if err != nil {
				return err
			}
			if d.State != tusk.DatumSuccess && d.State != tusk.DatumSkipped {
				continue
			}
			for _, f := range d.Files {
				all = append(all, owned{f, d.ID})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortStableFunc(all, func(x, y owned) int { return strings.Compare(x.f.Path, y.f.Path) })
	files := make([]fileset.File, len(all))
	for i, o := range all {
		if i > 0 && all[i-1].f.Path == o.f.Path {
			return a.endJob(ctx, j, tusk.JobFailure, fmt.Sprintf("duplicate path output by different datums: %s was written by datum %s and datum %s; write to /pfs/out/$PACH_DATUM_ID/... or reduce in a later pipeline",
				o.f.Path, all[i-1].datum, o.datum))
		}
		if i > 0 && strings.HasPrefix(o.f.Path, all[i-1].f.Path+"/") {
			return a.endJob(ctx, j, tusk.JobFailure, fmt.Sprintf("file / directory path collision: %s (datum %s) and %s (datum %s)",
				all[i-1].f.Path, all[i-1].datum, o.f.Path, o.datum))
		}
		files[i] = o.f
	}
	if j.State == tusk.JobEgressing {
		if err := a.egressFiles(ctx, p, files); err != nil {
			if tusk.KindOf(err) == tusk.KindInvalid {
				return a.endJob(ctx, j, tusk.JobFailure, "egress: "+err.Error())
			}
			a.log.Warn("egress failed, retrying", "pipeline", j.Pipeline, "job", j.ID, "err", err)
			return err
		}
	}
	t := now()
	j.State, j.Finished = tusk.JobSuccess, &t
	_, err = a.pfs.FinishOutputCommit(ctx, j.OutputCommit.Repo, j.ID, files, "", func(tx *meta.Tx) error { return storeJob(ctx, tx, j) })
	a.signalJobs()
	if err != nil && tusk.KindOf(err) != tusk.KindConflict {
		return a.endJob(ctx, j, tusk.JobFailure, err.Error())
	}
	a.setLastJobState(ctx, j.Pipeline, tusk.JobSuccess)
	a.log.Info("job finished", "pipeline", j.Pipeline, "job", j.ID, "datums", j.DataTotal, "processed", j.DataProcessed, "skipped", j.DataSkipped)
	return nil
}
