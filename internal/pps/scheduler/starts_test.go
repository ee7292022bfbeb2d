package scheduler_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/pps/scheduler"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// The runner reports no error, but no worker of the pipeline ever asks
// for work (the process runner cannot start a worker binary that is not
// there, say): the job fails after the start timeout, and its output
// commit and its pipeline's last job state say so.
func TestJobFailsWhenNoWorkerAsks(t *testing.T) {
	forStores(t, func(t *testing.T, dsn string) {
		e := newAPIEnvWith(t, dsn, noWorkers{}, scheduler.Options{WorkerStartTimeout: 300 * time.Millisecond})
		e.input("in", "x")
		e.pipeline(`{"pipeline": {"name": "p"}, "transform": {"cmd": ["true"]}, "input": {"pfs": {"repo": "in", "glob": "/*"}}}`)
		js, err := e.pps.ListJobs(e.ctx, "p", "", 1)
		if err != nil || len(js) != 1 {
			t.Fatalf("jobs of p: %v, %v", js, err)
		}
		const why = "no worker of pipeline p asked for work within 300ms"
		if j := e.job("p", js[0].ID); j.State != tusk.JobFailure || !strings.HasPrefix(j.Reason, why) {
			t.Errorf("job %s: %s %q, want FAILURE %q", j.ID, j.State, j.Reason, why)
		}
		out, err := e.fs.InspectCommit(e.ctx, tusk.Ref{Repo: "p", ID: js[0].ID, Path: "/"})
		if err != nil || !strings.Contains(out.Error, "job FAILURE: "+why) {
			t.Errorf("output commit %+v, %v; want the error %q", out, err, why)
		}
		if p, err := e.pps.InspectPipeline(e.ctx, "p"); err != nil || p.LastJobState != tusk.JobFailure {
			t.Errorf("pipeline p once its job failed: last job %q, %v; want FAILURE", p.LastJobState, err)
		}
	})
}

// Workers that started and hold a datum for longer than the start
// timeout, or wait idle for the next job, have started: their jobs
// succeed.
func TestSlowWorkersAreNotAStartFailure(t *testing.T) {
	forStores(t, func(t *testing.T, dsn string) {
		run := &scriptedRunner{err: map[string]error{}, calls: map[string]int{}}
		e := newAPIEnvWith(t, dsn, run, scheduler.Options{WorkerStartTimeout: 300 * time.Millisecond})
		e.input("in", "a")
		e.pipeline(`{"pipeline": {"name": "slow"}, "transform": {"cmd": ["true"]}, "input": {"pfs": {"repo": "in", "glob": "/*"}}}`)
		// hold runs datums for as long as the controller takes to look at
		// their job three more times (about a second apart: longer than
		// the start timeout), and reports them.
		hold := func(ts []tusk.Task) tusk.JobInfo {
			n := run.called("slow")
			testenv.Eventually(t, time.Minute, "the controller looks at the job 3 more times, or ends it", func() bool {
				j, err := e.pps.InspectJob(e.ctx, "slow", ts[0].Job)
				return run.called("slow") >= n+3 || err == nil && tusk.JobDone(j.State)
			})
			e.done(e.report(ts, "w", "slow")...)
			return e.job("slow", ts[0].Job)
		}
		if j := hold(e.claim("slow", "w")); j.State != tusk.JobSuccess {
			t.Fatalf("first job: %s %q, want SUCCESS", j.State, j.Reason)
		}
		// The worker waits for work, idle, when the next job comes.
		next := make(chan []tusk.Task, 1)
		go func() {
			ts, err := e.sched.NextTasks(e.ctx, "slow", "w", 30*time.Second)
			if err != nil {
				t.Error(err)
			}
			next <- ts
		}()
		e.commit("in", e.ops("/b", "b"))
		ts := <-next
		if len(ts) != 1 || ts[0].Inputs[0].Path != "/b" {
			t.Fatalf("the idle worker got %+v, want the datum of /b", ts)
		}
		if j := hold(ts); j.State != tusk.JobSuccess {
			t.Errorf("second job: %s %q, want SUCCESS", j.State, j.Reason)
		}
	})
}
