package pps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

// datumRecord is a datum as stored: what the API shows, plus the files it
// output and the environment its command gets.
type datumRecord struct {
	tusk.DatumInfo
	Env   []string       `json:"env,omitempty"`
	Files []fileset.File `json:"files,omitempty"`
	// Claim counts the claims of the datum by workers; the current one is
	// the only one whose heartbeats and results count. Claimed is when it
	// was made.
	Claim   int        `json:"claim,omitempty"`
	Claimed *time.Time `json:"claimed,omitempty"`
	// Server is the server that made the current claim: its worker
	// asked that server, and dies with it (giveBack).
	Server string `json:"server,omitempty"`
	// Lost counts the claims in a row whose worker was lost: its lease
	// ran out (see maxLostLeases).
	Lost int `json:"lost,omitempty"`
}

// leased reports whether a datum is claimed by a worker.
func leased(d *datumRecord) bool {
	return d.State == tusk.DatumStarting || d.State == tusk.DatumRunning
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

// datumsIn returns the records of a job's own datums in a state, at most
// limit of them (0: all).
func datumsIn(ctx context.Context, tx *meta.Tx, pipeline, job, state string, limit int) ([]*datumRecord, error) {
	docs, err := tx.Datums(ctx, project, pipeline, job, state, -1, 0, limit)
	if err != nil {
		return nil, err
	}
	out := make([]*datumRecord, len(docs))
	for i, doc := range docs {
		if out[i], err = decodeDatum(doc); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// noteImage records on j the image its datums ran in, taken from one that
// ran, until it has one.
func noteImage(ctx context.Context, tx *meta.Tx, j *tusk.JobInfo, counts map[string]int64) error {
	if j.ImageID != "" {
		return nil
	}
	for _, state := range []string{tusk.DatumSuccess, tusk.DatumFailed} {
		if counts[state] == 0 {
			continue
		}
		ds, err := datumsIn(ctx, tx, j.Pipeline, j.ID, state, 1)
		if err != nil {
			return err
		}
		if len(ds) == 1 && ds[0].ImageID != "" {
			j.ImageID, j.ImageDigest = ds[0].ImageID, ds[0].ImageDigest
			return nil
		}
	}
	return nil
}

// startJob waits for the job's input commits (the job is STARTING
// meanwhile), then makes its datums and sets it RUNNING.
func (a *API) startJob(ctx context.Context, r *record, p *spec.Pipeline, j *tusk.JobInfo) (time.Duration, error) {
	if j.Started == nil {
		t := now()
		j.Started = &t
	}
	for _, in := range j.Inputs {
		c, err := a.pfs.InspectCommit(ctx, refOf(in))
		if err != nil {
			reason := fmt.Sprintf("input commit %s: %v", in, err)
			if gone, gerr := a.inputsGone(ctx, j); gerr == nil && gone != "" {
				reason = gone
			}
			return 0, a.endJob(ctx, j, tusk.JobUnrunnable, reason)
		}
		if c.State != tusk.CommitFinished {
			if j.State == tusk.JobCreated {
				j.State = tusk.JobStarting
				if err := a.saveJob(ctx, j); err != nil {
					return 0, err
				}
				a.setLastJobState(ctx, j.Pipeline, j.State)
			}
			return time.Minute, nil // woken by the commit's event
		}
		if c.Error != "" {
			return 0, a.endJob(ctx, j, tusk.JobUnrunnable, fmt.Sprintf("input commit %s failed: %s", in, c.Error))
		}
	}
	if err := a.planDatums(ctx, p, j); err != nil {
		if over := (*overLimitError)(nil); errors.As(err, &over) {
			return 0, a.endJob(ctx, j, tusk.JobFailure, over.Error())
		}
		return 0, err
	}
	a.signalJobs()
	a.setLastJobState(ctx, j.Pipeline, j.State)
	if j.DataTotal > j.DataSkipped {
		a.awaitWorkers(j)
		if err := a.ensureWorkers(ctx, r); err != nil {
			_, err = a.workersNotUp(ctx, r.Name, err)
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

// runJob checks on a running job: done when no datum is queued or running.
func (a *API) runJob(ctx context.Context, r *record, p *spec.Pipeline, j *tusk.JobInfo) (time.Duration, error) {
	gone, err := a.inputsGone(ctx, j)
	if err != nil {
		return 0, err
	}
	if gone == "" {
		gone = a.takeInputFailure(j.ID)
	}
	if gone != "" {
		return 0, a.endJob(ctx, j, tusk.JobFailure, gone)
	}
	// Cheap index lookups decide whether the job is done; the counts
	// (a scan of the job's datums) are refreshed at most every second, so
	// that a job of a million datums does not cost a scan per datum.
	var pending bool
	var counts map[string]int64
	refresh := time.Since(a.counted(j.ID)) >= time.Second
	err = a.db.View(ctx, func(tx *meta.Tx) error {
		var err error
		if pending, err = tx.HasDatums(ctx, project, j.Pipeline, j.ID, tusk.DatumQueued, tusk.DatumStarting, tusk.DatumRunning); err != nil {
			return err
		}
		if refresh || !pending {
			if counts, err = tx.CountDatums(ctx, project, j.Pipeline, j.ID); err != nil {
				return err
			}
			return noteImage(ctx, tx, j, counts)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if counts != nil {
		// The job's rows are the datums it runs and those it copied; the
		// datums it skips without a copy are the rest.
		a.markCounted(j.ID)
		own := int64(0)
		for _, n := range counts {
			own += n
		}
		j.DataProcessed, j.DataSkipped = counts[tusk.DatumSuccess], j.DataTotal-own+counts[tusk.DatumSkipped]
		j.DataFailed, j.DataRecovered = counts[tusk.DatumFailed], counts[tusk.DatumRecovered]
	}
	if pending {
		if counts != nil {
			if err := a.saveJob(ctx, j); err != nil {
				return 0, err
			}
		}
		runnerErr := a.ensureWorkers(ctx, r)
		switch {
		case runnerErr != nil:
			if preparing(runnerErr) {
				// The start timeout counts from when the workers can start.
				a.awaitWorkers(j)
			}
			a.workersNotUp(ctx, r.Name, runnerErr)
		case r.State != tusk.PipelineRunning:
			a.setState(ctx, r.Name, tusk.PipelineRunning, "")
		}
		late, left := a.workersLate(j)
		if late {
			return 0, a.endJob(ctx, j, tusk.JobFailure, a.startFailure(j.Pipeline, runnerErr))
		}
		// Leases of dead workers expire: let waiting workers look again.
		a.signalTasks(j.Pipeline)
		wait := a.lease
		if left > 0 {
			wait = min(wait, left)
		}
		// Count again when the second is up, so that the job's progress
		// shows what changed since (results wake the controller only
		// when they may end the job; see mayEnd).
		wait = min(wait, time.Second-time.Since(a.counted(j.ID)))
		return wait, nil
	}
	if j.DataFailed > 0 {
		reason := "datums failed"
		a.db.View(ctx, func(tx *meta.Tx) error {
			ds, err := datumsIn(ctx, tx, j.Pipeline, j.ID, tusk.DatumFailed, 1)
			if err == nil && len(ds) == 1 {
				reason = fmt.Sprintf("datum %s failed: %s", ds[0].ID, ds[0].Reason)
			}
			return nil
		})
		return 0, a.endJob(ctx, j, tusk.JobFailure, reason)
	}
	if p.Egress != nil {
		j.State = tusk.JobEgressing
		return 0, a.saveJob(ctx, j)
	}
	j.State = tusk.JobFinishing
	return 0, a.finishJob(ctx, p, j)
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
// datums writing one path fail the job. Its output is made from its
// base's, changed by the datums that changed, unless it goes to an egress
// (which needs every file anyway) or the two overlap: then it is made from
// scratch, which finds the datums at fault.
func (a *API) finishJob(ctx context.Context, p *spec.Pipeline, j *tusk.JobInfo) error {
	var l, head meta.JobLineage
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		var err error
		if l, _, err = tx.JobLineage(ctx, project, j.Pipeline, j.ID); err != nil {
			return err
		}
		head, _, err = tx.LineageHead(ctx, project, j.Pipeline)
		return err
	})
	if err != nil {
		return err
	}
	// The job's success, its place in the lineage, its output commit and
	// its pipeline's last job state change together.
	succeed := func(tx *meta.Tx) error {
		t := now()
		j.State, j.Finished = tusk.JobSuccess, &t
		if _, err := tx.PromoteJob(ctx, project, j.Pipeline, j.ID); err != nil {
			return err
		}
		return storeEndedJob(ctx, tx, j)
	}
	done := false
	if p.Egress == nil && l.Base > 0 && l.Base == head.Gen {
		if done, err = a.finishFromBase(ctx, j, l, head.Job, succeed); err != nil {
			return err
		}
	}
	if !done {
		files, reason, err := a.jobFiles(ctx, j, l)
		if err != nil {
			return err
		}
		if reason != "" {
			return a.endJob(ctx, j, tusk.JobFailure, reason)
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
		_, err = a.pfs.FinishOutputCommit(ctx, j.OutputCommit.Repo, j.ID, files, "", succeed)
		a.signalJobs()
		if errors.Is(err, errJobEnded) || tusk.KindOf(err) == tusk.KindConflict {
			return errJobEnded // stopped or deleted meanwhile
		}
		if err != nil {
			return a.endJob(ctx, j, tusk.JobFailure, err.Error())
		}
	}
	a.log.Info("job finished", "pipeline", j.Pipeline, "job", j.ID, "datums", j.DataTotal, "processed", j.DataProcessed, "skipped", j.DataSkipped)
	return nil
}
