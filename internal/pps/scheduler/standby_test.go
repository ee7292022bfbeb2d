package scheduler_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/pps/scheduler"
	"github.com/tuskdata/tusk/internal/runner"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// callRecorder hosts no workers and records what it was asked for.
type callRecorder struct {
	noWorkers
	mu    sync.Mutex
	calls []string // "ensure P vV N" or "stop P"
}

func (r *callRecorder) Ensure(_ context.Context, w runner.WorkerSpec) error {
	r.record(fmt.Sprintf("ensure %s v%d %d", w.Pipeline, w.Version, w.Workers))
	return nil
}

func (r *callRecorder) Stop(_ context.Context, pipeline string) error {
	r.record("stop " + pipeline)
	return nil
}

func (r *callRecorder) record(call string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call)
}

// last returns the last call, and whether any call was c.
func (r *callRecorder) last(c string) (last string, seen bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.calls) == 0 {
		return "", false
	}
	return r.calls[len(r.calls)-1], slices.Contains(r.calls, c)
}

// TestAutoscalingStandbyScalesToZero: an idle autoscaling pipeline asks
// the runner for no workers of its version, never to stop it, so a runner
// may keep its version (the kube runner's Deployment at zero replicas); a
// job scales it up to its parallelism and back to zero; stopping the
// pipeline then stops its workers.
func TestAutoscalingStandbyScalesToZero(t *testing.T) {
	rec := &callRecorder{}
	e := newAPIEnvWith(t, filepath.Join(t.TempDir(), "meta.db"), rec, scheduler.Options{LeaseTTL: time.Minute})
	if _, err := e.fs.CreateRepo(e.ctx, tusk.DefaultProject, "in", ""); err != nil {
		t.Fatal(err)
	}
	e.pipeline(`{"pipeline": {"name": "p"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"cmd": ["true"]}, "parallelism_spec": {"constant": 2}, "autoscaling": true}`)
	standby := func(what string) {
		t.Helper()
		testenv.Eventually(t, time.Minute, what, func() bool {
			p, err := e.pps.InspectPipeline(e.ctx, "p")
			last, _ := rec.last("")
			return err == nil && p.State == tusk.PipelineStandby && last == "ensure p v1 0"
		})
	}
	standby("the idle pipeline stands by, scaled to zero")
	if _, stopped := rec.last("stop p"); stopped {
		t.Error("standing by stopped the pipeline's workers")
	}

	ref, _ := tusk.ParseRef("in@master")
	if _, err := e.fs.ModifyFiles(e.ctx, ref, e.ops("/a", "a")); err != nil {
		t.Fatal(err)
	}
	ts := e.claim("p", "w")
	if _, scaled := rec.last("ensure p v1 2"); !scaled {
		t.Error("a job did not scale the pipeline up to its parallelism")
	}
	var results []tusk.TaskResult
	for _, task := range ts {
		results = append(results, e.result(task, "w", "/out", "x"))
	}
	e.done(results...)
	standby("after its job the pipeline stands by again, scaled to zero")
	if _, stopped := rec.last("stop p"); stopped {
		t.Error("standing by after a job stopped the pipeline's workers")
	}

	if err := e.pps.StopPipeline(e.ctx, "p"); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, time.Minute, "stopping the standing-by pipeline stops its workers", func() bool {
		last, _ := rec.last("")
		return last == "stop p"
	})
}
