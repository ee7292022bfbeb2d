package pps_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/server"
	"github.com/tuskdata/tusk/internal/tusk"
	"github.com/tuskdata/tusk/internal/tusktest"
)

// newEnvWith runs a server with the process runner, workers of binary and
// a worker start timeout.
func newEnvWith(t *testing.T, binary string, startTimeout time.Duration) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	e := &env{t: t, ctx: ctx, dir: t.TempDir()}
	_, e.c, e.stop = tusktest.StartServer(t, server.Config{DataDir: e.dir, Runner: "process", WorkerBinary: binary,
		WorkerStartTimeout: startTimeout})
	return e
}

// The process runner cannot start a worker binary that is not there; it
// reports no error, but no worker ever asks for work.
func TestJobFailsWhenNoWorkerStarts(t *testing.T) {
	e := newEnvWith(t, filepath.Join(t.TempDir(), "no-tusk-here"), time.Second)
	e.repo("in")
	e.pipeline(`{"pipeline": {"name": "p"}, "transform": {"cmd": ["true"]}, "input": {"pfs": {"repo": "in", "glob": "/*"}}}`)
	in := e.put("in", "/x", "1")
	const why = "no worker of pipeline p asked for work within 1s"
	var out tusk.Commit
	for _, c := range e.wait(in.ID) {
		if c.Repo == "p" {
			out = c
		}
	}
	if !strings.Contains(out.Error, "job FAILURE: "+why) {
		t.Errorf("output commit %+v, want the error %q", out, why)
	}
	// The pipeline's last job state changes with the output commit.
	if p, err := e.c.InspectPipeline(e.ctx, "p"); err != nil || p.LastJobState != tusk.JobFailure {
		t.Errorf("pipeline p once its output commit failed: last job %q, %v; want FAILURE", p.LastJobState, err)
	}
	if j := e.lastJob("p"); j.State != tusk.JobFailure || !strings.HasPrefix(j.Reason, why) {
		t.Errorf("job %s: %s %q, want FAILURE %q", j.ID, j.State, j.Reason, why)
	}
}

// Workers that started and run datums longer than the start timeout, or
// wait idle for the next job, have started: their jobs succeed.
func TestSlowWorkersAreNotAStartFailure(t *testing.T) {
	e := newEnvWith(t, tuskBin, time.Second)
	e.repo("in")
	e.pipeline(`{"pipeline": {"name": "slow"}, "transform": {"cmd": ["sh", "-c", "sleep 2; cp $in /pfs/out/"]},
	 "input": {"pfs": {"repo": "in", "glob": "/*"}}}`)
	for i, file := range []string{"/a", "/b"} {
		in := e.put("in", file, "1")
		for _, c := range e.wait(in.ID) {
			if c.Error != "" {
				t.Fatalf("job %d: commit %s@%s: %s", i+1, c.Repo, c.ID, c.Error)
			}
		}
		if p, err := e.c.InspectPipeline(e.ctx, "slow"); err != nil || p.LastJobState != tusk.JobSuccess {
			t.Errorf("pipeline slow once job %d's output commit finished: last job %q, %v; want SUCCESS", i+1, p.LastJobState, err)
		}
	}
	if got := e.files("slow@master"); len(got) != 2 {
		t.Errorf("slow@master = %v, want /a and /b", got)
	}
}
