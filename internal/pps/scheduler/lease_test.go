package scheduler_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

// These tests play the worker's part, as in set_test.go, to check what a
// lost worker, a server restart and the start of a command cost a datum.

// datums returns the datums of a job by ID.
func (e *apiEnv) datums(pipeline, job string) map[string]tusk.DatumInfo {
	e.t.Helper()
	out := map[string]tusk.DatumInfo{}
	err := e.pps.ListDatums(e.ctx, pipeline, job, "", 0, 0, func(d tusk.DatumInfo) error {
		out[d.ID] = d
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// started reports that task t's command started at.
func started(t tusk.Task, worker string, at time.Time) tusk.TaskResult {
	return tusk.TaskResult{Pipeline: t.Pipeline, Job: t.Job, Datum: t.Datum, Claim: t.Claim, Worker: worker, State: tusk.DatumRunning,
		Started: &at}
}

func TestDatumIsRunningOnlyOnceItsCommandStarts(t *testing.T) {
	forStores(t, func(t *testing.T, dsn string) {
		e := newAPIEnv(t, dsn, time.Minute)
		e.input("in", "a", "b")
		e.pipeline(`{"pipeline": {"name": "p"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
			"transform": {"cmd": ["true"]}, "datum_set_spec": {"number": 2}}`)
		ts := e.claim("p", "w")
		for _, d := range e.datums("p", ts[0].Job) {
			if d.State != tusk.DatumStarting || d.Started != nil || d.Worker != "w" {
				t.Errorf("claimed datum %s: %s, started %v, worker %q; want STARTING on w, not started", d.ID, d.State, d.Started, d.Worker)
			}
		}
		at := time.Now().UTC()
		e.done(started(ts[0], "w", at))
		ds := e.datums("p", ts[0].Job)
		if d := ds[ts[0].Datum]; d.State != tusk.DatumRunning || d.Started == nil || !d.Started.Equal(at) {
			t.Errorf("datum whose command started: %s, started %v; want RUNNING since %v", d.State, d.Started, at)
		}
		if d := ds[ts[1].Datum]; d.State != tusk.DatumStarting {
			t.Errorf("datum waiting its turn: %s, want STARTING", d.State)
		}
		// The end of one and the start of the next come in one report, in
		// order: never are both RUNNING.
		e.done(e.result(ts[0], "w", "/a", "A"), started(ts[1], "w", time.Now().UTC()))
		ds = e.datums("p", ts[0].Job)
		if ds[ts[0].Datum].State != tusk.DatumSuccess || ds[ts[1].Datum].State != tusk.DatumRunning {
			t.Errorf("after the next report: %s and %s, want SUCCESS and RUNNING", ds[ts[0].Datum].State, ds[ts[1].Datum].State)
		}
		if cancel, err := e.sched.Heartbeat(e.ctx, "p", ts[1].Job, "w", map[string]int{ts[1].Datum: ts[1].Claim}); err != nil || len(cancel) != 0 {
			t.Errorf("heartbeat of the running datum = %v, %v; want nothing to cancel", cancel, err)
		}
		e.done(e.result(ts[1], "w", "/b", "B"))
		if j := e.job("p", ts[0].Job); j.State != tusk.JobSuccess || j.DataProcessed != 2 {
			t.Errorf("job = %s (%s), %d processed", j.State, j.Reason, j.DataProcessed)
		}
	})
}

func TestServerRestartCostsNoTry(t *testing.T) {
	forStores(t, func(t *testing.T, dsn string) {
		e := newAPIEnv(t, dsn, time.Minute)
		e.input("in", "a", "b", "c")
		e.pipeline(`{"pipeline": {"name": "p"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
			"transform": {"cmd": ["true"]}, "datum_set_spec": {"number": 3}, "datum_tries": 1}`)
		// Three restarts, each with a set claimed and its first command
		// running: with datum_tries 1, each would have failed the job if
		// it used up a try.
		var old []tusk.Task
		for range 3 {
			ts := e.claim("p", "w")
			if len(ts) != 3 || ts[0].Attempt != 1 {
				t.Fatalf("claim after a restart: %+v; want the 3 datums on their first attempt", ts)
			}
			e.done(started(ts[0], "w", time.Now().UTC()))
			old = ts
			e.stop()
			e.start()
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				queued := 0
				for id, d := range e.datums("p", ts[0].Job) {
					if d.State == tusk.DatumQueued {
						queued++
						if d.Attempts != 0 || !strings.Contains(d.Reason, "given back: the server") {
							t.Fatalf("datum %s after a restart: %s (%s), %d attempts; want given back by the restart, no attempt used", id, d.State, d.Reason, d.Attempts)
						}
					}
				}
				if queued == 3 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d of 3 datums queued again 10s after a restart", queued)
				}
			}
		}
		ts := e.claim("p", "w")
		// A report of a claim from before the restart is stale.
		e.done(e.result(old[0], "w", "/stale", "x"))
		var results []tusk.TaskResult
		for _, task := range ts {
			results = append(results, e.result(task, "w", "/"+task.Datum, "ok"))
		}
		e.done(results...)
		j := e.job("p", ts[0].Job)
		if j.State != tusk.JobSuccess || j.DataProcessed != 3 {
			t.Fatalf("job = %s (%s), %d processed", j.State, j.Reason, j.DataProcessed)
		}
		if got := e.files("p", j.ID); len(got) != 3 || strings.Contains(strings.Join(got, ","), "stale") {
			t.Errorf("output commit = %v, want each datum's output once", got)
		}
	})
}

func TestDatumThatKeepsLosingItsWorkerFails(t *testing.T) {
	forStores(t, func(t *testing.T, dsn string) {
		e := newAPIEnv(t, dsn, 20*time.Millisecond)
		e.input("in", "a")
		e.pipeline(`{"pipeline": {"name": "p"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
			"transform": {"cmd": ["true"]}, "datum_tries": 1}`)
		// Each worker that claims the datum dies: it never renews its lease.
		const bound = 10 // pps.maxLostLeases
		var job string
		for i := 1; i <= bound; i++ {
			ts := e.claim("p", "w")
			if ts[0].Attempt != 1 || ts[0].Claim != i {
				t.Fatalf("claim %d: attempt %d, claim %d; want attempt 1, claim %d", i, ts[0].Attempt, ts[0].Claim, i)
			}
			job = ts[0].Job
		}
		// The next worker to ask finds the datum failed, not a task.
		if ts, err := e.sched.NextTasks(e.ctx, "p", "w", time.Second); err != nil || len(ts) != 0 {
			t.Fatalf("claim after %d lost workers = %+v, %v; want none", bound, ts, err)
		}
		j := e.job("p", job)
		if j.State != tusk.JobFailure || !strings.Contains(j.Reason, "lost 10 times in a row") {
			t.Errorf("job = %s (%s); want a failure saying the datum lost its worker 10 times", j.State, j.Reason)
		}
	})
}
