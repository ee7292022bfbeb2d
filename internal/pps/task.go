package pps

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

// outputLease is how long a datum's staged output is protected from the
// garbage collector before its job commits it.
const outputLease = 7 * 24 * time.Hour

// NextTask hands the next datum of the pipeline's running job to a
// worker, waiting up to wait for one. It returns nil when there is none.
func (a *API) NextTask(ctx context.Context, pipeline, worker string, wait time.Duration) (*tusk.Task, error) {
	deadline := time.After(wait)
	for {
		signal := a.taskSignal(pipeline)
		task, err := a.claim(ctx, pipeline, worker)
		if err != nil || task != nil {
			return task, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-deadline:
			return nil, nil
		case <-signal:
		}
	}
}

func (a *API) claim(ctx context.Context, pipeline, worker string) (*tusk.Task, error) {
	var task *tusk.Task
	// Volatile: after a power loss the datum simply runs again.
	err := a.db.UpdateVolatile(ctx, func(tx *meta.Tx) error {
		task = nil
		r, err := loadPipeline(ctx, tx, pipeline)
		if err != nil {
			return err
		}
		if r.Stopped {
			return nil
		}
		docs, err := tx.UnfinishedJobs(ctx, project, pipeline)
		if err != nil {
			return err
		}
		jobs, err := decodeJobs(docs)
		if err != nil || len(jobs) == 0 || jobs[0].State != tusk.JobRunning {
			return err
		}
		j := jobs[0]
		doc, err := tx.NextDatum(ctx, project, pipeline, j.ID, now())
		if err != nil || doc == nil {
			return err
		}
		d, err := decodeDatum(doc)
		if err != nil {
			return err
		}
		p, err := r.spec()
		if err != nil {
			return err
		}
		if d.State == tusk.DatumRunning && d.Attempts >= int(p.DatumTries) {
			// Its worker died on the last attempt.
			t := now()
			d.State, d.Reason, d.Finished = tusk.DatumFailed, "worker "+d.Worker+" stopped answering", &t
			return storeDatum(ctx, tx, d, time.Time{})
		}
		t := now()
		d.State, d.Worker, d.Started, d.Finished = tusk.DatumRunning, worker, &t, nil
		d.Attempts++
		if err := storeDatum(ctx, tx, d, t.Add(a.lease)); err != nil {
			return err
		}
		task = newTask(p, &j, d, int(a.lease/time.Second))
		return nil
	})
	return task, err
}

func newTask(p *spec.Pipeline, j *tusk.JobInfo, d *datumRecord, leaseSeconds int) *tusk.Task {
	env := slices.Clone(d.Env)
	env = append(env, "PACH_JOB_ID="+j.ID, "PACH_OUTPUT_COMMIT_ID="+j.ID, "PPS_PIPELINE_NAME="+p.Name(),
		"PPS_PROJECT_NAME="+project, "PACH_IN_WORKER=true")
	keys := make([]string, 0, len(p.Transform.Env))
	for k := range p.Transform.Env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		env = append(env, k+"="+p.Transform.Env[k])
	}
	return &tusk.Task{Pipeline: p.Name(), Job: j.ID, Datum: d.ID, Attempt: d.Attempts, Inputs: d.Inputs, Env: env,
		Cmd: p.Transform.Cmd, Stdin: p.Transform.Stdin, ErrCmd: p.Transform.ErrCmd, ErrStdin: p.Transform.ErrStdin,
		AcceptReturnCode: p.Transform.AcceptReturnCode, WorkingDir: p.Transform.WorkingDir, User: p.Transform.User,
		DatumTimeout: tusk.Duration(p.DatumTimeout), LeaseSeconds: leaseSeconds, DatumBatching: p.Transform.DatumBatching}
}

// Heartbeat extends a running datum's lease. It reports cancel when the
// worker should stop the attempt (the job ended, or the datum was
// restarted or given to another worker).
func (a *API) Heartbeat(ctx context.Context, pipeline, job, datumID, worker string, attempt int) (cancel bool, err error) {
	err = a.db.UpdateVolatile(ctx, func(tx *meta.Tx) error {
		doc, err := tx.Datum(ctx, project, pipeline, job, datumID)
		if err != nil {
			cancel = true
			return nil
		}
		d, err := decodeDatum(doc)
		if err != nil {
			return err
		}
		if d.State != tusk.DatumRunning || d.Attempts != attempt || d.Worker != worker {
			cancel = true
			return nil
		}
		return storeDatum(ctx, tx, d, now().Add(a.lease))
	})
	return cancel, err
}

// Done records the end of a datum attempt. A failed attempt is retried
// until the pipeline's datum_tries are used up. A result for an attempt
// that is no longer current (the datum went to another worker) is
// dropped: its output never lands.
func (a *API) Done(ctx context.Context, res tusk.TaskResult) error {
	var files []fileset.File
	if res.State == tusk.DatumSuccess {
		staged, err := a.pfs.StageFiles(ctx, res.Outputs, outputLease)
		if err != nil {
			res.State, res.Reason = tusk.DatumFailed, fmt.Sprintf("output rejected: %v", err)
		}
		files = staged
	}
	// Volatile: after a power loss the datum simply runs again.
	err := a.db.UpdateVolatile(ctx, func(tx *meta.Tx) error {
		r, err := loadPipeline(ctx, tx, res.Pipeline)
		if err != nil {
			return err
		}
		p, err := r.spec()
		if err != nil {
			return err
		}
		doc, err := tx.Datum(ctx, project, res.Pipeline, res.Job, res.Datum)
		if err != nil {
			return err
		}
		d, err := decodeDatum(doc)
		if err != nil {
			return err
		}
		if d.State != tusk.DatumRunning || d.Attempts != res.Attempt || d.Worker != res.Worker {
			return nil // stale
		}
		t := now()
		d.Finished, d.Reason, d.ImageID = &t, res.Reason, res.ImageID
		switch res.State {
		case tusk.DatumSuccess:
			d.State, d.Files, d.Outputs = tusk.DatumSuccess, files, nil
			for _, f := range files {
				d.Outputs = append(d.Outputs, f.Path)
			}
		case tusk.DatumRecovered:
			d.State, d.Files = tusk.DatumRecovered, nil
		default:
			d.State = tusk.DatumFailed
			if d.Attempts < int(p.DatumTries) {
				d.State = tusk.DatumQueued
			}
		}
		return storeDatum(ctx, tx, d, time.Time{})
	})
	if err != nil {
		return err
	}
	a.signalTasks(res.Pipeline)
	a.wake(res.Pipeline)
	return nil
}

// RestartDatum stops the running attempt of the datums of a job whose
// ID or input paths match; the stop counts as a failed attempt.
func (a *API) RestartDatum(ctx context.Context, pipeline, job string, match []string) (int, error) {
	n := 0
	err := a.db.Update(ctx, func(tx *meta.Tx) error {
		n = 0
		docs, err := tx.Datums(ctx, project, pipeline, job, tusk.DatumRunning, -1, 0, 0)
		if err != nil {
			return err
		}
		for _, doc := range docs {
			d, err := decodeDatum(doc)
			if err != nil {
				return err
			}
			if !datumMatches(d, match) {
				continue
			}
			d.State, d.Reason = tusk.DatumQueued, "restarted by user"
			if err := storeDatum(ctx, tx, d, time.Time{}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	a.signalTasks(pipeline)
	return n, err
}

func datumMatches(d *datumRecord, match []string) bool {
	for _, m := range match {
		if m == d.ID {
			return true
		}
		for _, in := range d.Inputs {
			if m == in.Path || strings.TrimSuffix(in.Path, "/") == strings.TrimSuffix(m, "/") {
				return true
			}
		}
	}
	return false
}
