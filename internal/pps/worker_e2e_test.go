package pps_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/server"
	"github.com/tuskdata/tusk/internal/tusk"
	"github.com/tuskdata/tusk/internal/tusktest"
	"github.com/tuskdata/tusk/internal/worker"
)

// These tests run the worker in this process, against a server whose own
// workers never start, so that the race detector watches the worker's
// reporter and sets too.

// newInProcessEnv runs a server whose runner's workers exit at once.
func newInProcessEnv(t *testing.T) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	e := &env{t: t, ctx: ctx, dir: t.TempDir()}
	_, e.c, e.stop = tusktest.StartServer(t, server.Config{DataDir: e.dir, Runner: "process", WorkerBinary: "/bin/false"})
	return e
}

// startWorker runs a worker of pipeline in this process until the
// returned function stops it, and waits for it to end.
func (e *env) startWorker(pipeline, id string) (stop func()) {
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		worker.Run(ctx, worker.Config{Client: e.c, Pipeline: pipeline, ID: id, Root: e.t.TempDir(),
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	}()
	stop = func() {
		cancel()
		<-done
	}
	e.t.Cleanup(stop)
	return stop
}

// A worker that stops in the middle of a set reports the datums it
// finished, with their outputs, and gives back the one in hand and those
// it did not get to, none of which uses up a try.
func TestStoppedWorkerKeepsFinishedDatumsAndGivesBackTheRest(t *testing.T) {
	e := newInProcessEnv(t)
	tmp := t.TempDir()
	gate := filepath.Join(tmp, "go")
	e.repo("in")
	e.put("in", "/a", "A", "/b", "B", "/c", "C", "/d", "D", "/e", "E", "/f", "F")
	// c waits for the test's go, which comes only after the stop.
	e.pipeline(fmt.Sprintf(`{"pipeline": {"name": "stop"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"cmd": ["sh", "-c", "n=$(basename $in); if [ $n = c ]; then while [ ! -e %s ]; do sleep 0.02; done; fi; cp $in $PFS/out/$n"]},
		"datum_set_spec": {"number": 6}, "datum_tries": 1}`, gate))
	stop := e.startWorker("stop", "w1")
	var job string
	e.eventually("a and b done, c running", func() bool {
		js, err := e.c.ListJobs(e.ctx, "stop", "", 1)
		if err != nil || len(js) == 0 {
			return false
		}
		job = js[0].ID
		st := e.datumStates("stop", job)
		return st["a"] == tusk.DatumSuccess && st["b"] == tusk.DatumSuccess && st["c"] == tusk.DatumRunning
	})
	stop()
	ds := map[string]tusk.DatumInfo{}
	e.c.ListDatums(e.ctx, "stop", job, "", func(d tusk.DatumInfo) error {
		ds[filepath.Base(d.Inputs[0].Path)] = d
		return nil
	})
	for n, d := range ds {
		want := tusk.DatumQueued
		if n == "a" || n == "b" {
			want = tusk.DatumSuccess
		}
		if d.State != want || want == tusk.DatumQueued && d.Attempts != 0 {
			t.Errorf("datum %s after its worker stopped: %s (%s), %d attempts; want %s, no attempt used", n, d.State, d.Reason, d.Attempts, want)
		}
	}
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	e.startWorker("stop", "w2")
	j := e.lastJob("stop")
	if j.State != tusk.JobSuccess || j.DataProcessed != 6 {
		t.Fatalf("job = %s (%s), %d processed", j.State, j.Reason, j.DataProcessed)
	}
	got := e.files("stop@master")
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		if got["/"+n] != string(rune('A'+n[0]-'a')) {
			t.Errorf("output /%s = %q", n, got["/"+n])
		}
	}
	if len(got) != 6 {
		t.Errorf("output = %v, want 6 files", got)
	}
	// a and b ran on the first worker only.
	e.c.ListDatums(e.ctx, "stop", job, "", func(d tusk.DatumInfo) error {
		if n := filepath.Base(d.Inputs[0].Path); (n == "a" || n == "b") && d.Worker != "w1" {
			t.Errorf("datum %s ran on %s, want w1 alone", n, d.Worker)
		}
		return nil
	})
}
