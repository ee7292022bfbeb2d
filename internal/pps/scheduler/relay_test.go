package scheduler_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pfs"
	"github.com/tuskdata/tusk/internal/pps"
	"github.com/tuskdata/tusk/internal/pps/scheduler"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// stopRecorder hosts no workers and records which pipelines' workers it
// was told to stop.
type stopRecorder struct {
	noWorkers
	mu      sync.Mutex
	stopped []string
}

func (r *stopRecorder) Stop(_ context.Context, pipeline string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = append(r.stopped, pipeline)
	return nil
}

func (r *stopRecorder) wasStopped(pipeline string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Contains(r.stopped, pipeline)
}

// relay has e's pipeline system and file system pass signals and commit
// events to and from the other servers on its stores until the test ends.
func (e *apiEnv) relay() {
	ctx, cancel := context.WithCancel(e.ctx)
	var wg sync.WaitGroup
	wg.Go(func() { e.sched.RelaySignals(ctx) })
	wg.Go(func() { e.fs.RelayEvents(ctx) })
	e.t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
}

// follower returns the pipeline system of a second server on e's stores,
// which serves but does not lead: its Run never runs.
func (e *apiEnv) follower() *apiEnv {
	e.t.Helper()
	return e.followerWith(e.opts)
}

// followerWith is follower with opts.
func (e *apiEnv) followerWith(opts scheduler.Options) *apiEnv {
	e.t.Helper()
	db, err := meta.Open(e.ctx, e.dsn)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { db.Close() })
	fs, err := pfs.Open(e.ctx, db, e.objects, pfs.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	f := &apiEnv{t: e.t, ctx: e.ctx, db: db, fs: fs, run: noWorkers{}, opts: opts, dsn: e.dsn, objects: e.objects, stop: func() {}}
	f.sched = scheduler.New(db, fs, f.run, f.opts)
	f.pps = pps.New(db, fs, f.sched, pps.Options{Limits: f.opts.Limits})
	f.relay()
	return f
}

// TestSignalsCrossServers runs the pipeline systems of two servers on one
// PostgreSQL database, of which only the first leads: what happens on
// the second reaches the first's scheduler, and the first's work reaches
// workers waiting on the second.
func TestSignalsCrossServers(t *testing.T) {
	rec := &stopRecorder{}
	e := newAPIEnvWith(t, testenv.PostgresDatabase(t), rec, scheduler.Options{LeaseTTL: time.Minute})
	e.relay()
	f := e.follower()

	// A pipeline made on the follower over an empty input: the leader
	// runs its (empty) job.
	if _, err := f.fs.CreateRepo(f.ctx, tusk.DefaultProject, "in", ""); err != nil {
		t.Fatal(err)
	}
	f.pipeline(`{"pipeline": {"name": "p"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"cmd": ["true"]}, "datum_set_spec": {"number": 2}}`)
	testenv.Eventually(t, time.Minute, "the leader runs the job of the pipeline made on the follower", func() bool {
		js, err := e.pps.ListJobs(e.ctx, "p", "", 0)
		return err == nil && len(js) == 1 && js[0].State == tusk.JobSuccess
	})

	// A worker waits for work on the follower; files put through the
	// follower make a job on the leader, whose datums wake the worker.
	claimed := make(chan []tusk.Task, 1)
	go func() {
		ts, err := f.sched.NextTasks(f.ctx, "p", "w", 30*time.Second)
		if err != nil {
			t.Error(err)
		}
		claimed <- ts
	}()
	ref, _ := tusk.ParseRef("in@master")
	if _, err := f.fs.ModifyFiles(f.ctx, ref, f.ops("/a", "a", "/b", "b")); err != nil {
		t.Fatal(err)
	}
	ts := <-claimed
	if len(ts) != 2 {
		t.Fatalf("the worker waiting on the follower got %d datums, want the 2 of the new job", len(ts))
	}

	// Their results, reported to the follower, end the job on the leader,
	// and WaitJob on the follower sees it.
	f.done(f.result(ts[0], "w", "/A", "A"), f.result(ts[1], "w", "/B", "B"))
	if j := f.job("p", ts[0].Job); j.State != tusk.JobSuccess || j.DataProcessed != 2 {
		t.Fatalf("job seen from the follower = %s (%s), %d processed; want success, 2 processed", j.State, j.Reason, j.DataProcessed)
	}

	// Log lines of one job reach both servers in turn, and all are kept,
	// in order.
	for i, a := range []*apiEnv{f, e, f, e} {
		line := tusk.LogLine{Pipeline: "p", Job: ts[0].Job, Message: string(rune('1' + i))}
		if err := a.pps.AppendLogs(a.ctx, []tusk.LogLine{line}); err != nil {
			t.Fatal(err)
		}
	}
	lines, err := e.pps.Logs(e.ctx, "p", ts[0].Job, "")
	if err != nil {
		t.Fatal(err)
	}
	var got string
	for _, l := range lines {
		got += l.Message
	}
	if got != "1234" {
		t.Errorf("log lines appended through both servers = %q, want 1234", got)
	}

	// Deleted through the follower, the pipeline's workers are stopped by
	// the leader, which runs them.
	if err := f.pps.DeletePipeline(f.ctx, "p", false); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, time.Minute, "the leader stops the workers of the pipeline deleted on the follower", func() bool {
		return rec.wasStopped("p")
	})
}

// TestDatumsOfADeadServerAreGivenBack: a worker claims datums through a
// server that does not lead, and that server dies. The leader gives them
// back at once, long before their leases would run out.
func TestDatumsOfADeadServerAreGivenBack(t *testing.T) {
	e := newAPIEnv(t, testenv.PostgresDatabase(t), time.Hour)
	e.relay()
	f := e.followerWith(scheduler.Options{LeaseTTL: time.Hour, Instance: "follower"})
	// The follower's session: it is alive while this runs.
	ctx, cancel := context.WithCancel(e.ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		f.db.Lead(ctx, "follower", slog.New(slog.NewTextHandler(io.Discard, nil)), func(lctx context.Context) { <-lctx.Done() })
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	testenv.Eventually(t, 10*time.Second, "the follower is alive", func() bool {
		alive, err := e.db.AliveServers(e.ctx)
		return err == nil && alive.Alive("follower")
	})

	e.input("in", "a", "b")
	e.pipeline(`{"pipeline": {"name": "p"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"cmd": ["true"]}, "datum_set_spec": {"number": 2}}`)
	ts := f.claim("p", "w")
	// While the follower lives, its claims stand.
	e.stop()
	e.start()
	testenv.Eventually(t, time.Minute, "the restarted leader runs the job", func() bool {
		j, err := e.pps.InspectJob(e.ctx, "p", ts[0].Job)
		return err == nil && j.State == tusk.JobRunning
	})
	for id, d := range e.datums("p", ts[0].Job) {
		if d.State != tusk.DatumStarting {
			t.Fatalf("datum %s claimed through a live server, after the leader restarted: %s (%s); want STARTING", id, d.State, d.Reason)
		}
	}

	cancel() // the follower dies
	wg.Wait()
	testenv.Eventually(t, time.Minute, "the leader gives back the datums claimed through the dead server", func() bool {
		for _, d := range e.datums("p", ts[0].Job) {
			if d.State != tusk.DatumQueued || !strings.Contains(d.Reason, "given back: the server") {
				return false
			}
		}
		return true
	})
	again := e.claim("p", "w2")
	e.done(e.result(again[0], "w2", "/A", "A"), e.result(again[1], "w2", "/B", "B"))
	if j := e.job("p", ts[0].Job); j.State != tusk.JobSuccess || j.DataProcessed != 2 {
		t.Fatalf("job = %s (%s), %d processed; want success, 2 processed", j.State, j.Reason, j.DataProcessed)
	}
}
