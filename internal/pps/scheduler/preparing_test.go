package scheduler_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/pps/scheduler"
	"github.com/tuskdata/tusk/internal/runner"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// scriptedRunner answers Ensure with the error the test set for each
// pipeline, and counts the calls.
type scriptedRunner struct {
	noWorkers
	mu    sync.Mutex
	err   map[string]error
	calls map[string]int
}

func (r *scriptedRunner) Ensure(_ context.Context, w runner.WorkerSpec) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls[w.Pipeline]++
	return r.err[w.Pipeline]
}

func (r *scriptedRunner) set(pipeline string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err[pipeline], r.calls[pipeline] = err, 0
}

func (r *scriptedRunner) called(pipeline string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[pipeline]
}

// TestPreparingWorkers: while the runner prepares a pipeline's workers
// (pulls their image), the pipeline is STARTING with the runner's reason
// and its job waits beyond the start timeout; when the runner is ready
// the pipeline runs. When the pull fails the pipeline is CRASHING with the
// runner's error, and its job fails with it after the start timeout.
func TestPreparingWorkers(t *testing.T) {
	run := &scriptedRunner{err: map[string]error{}, calls: map[string]int{}}
	pulling := &runner.Preparing{Reason: "pulling image reg.example/img:1"}
	failed := errors.New("pull image reg.example/img:2: manifest unknown: Unknown manifest")
	run.set("p", pulling)
	run.set("q", failed)
	e := newAPIEnvWith(t, filepath.Join(t.TempDir(), "meta.db"), run, scheduler.Options{WorkerStartTimeout: 300 * time.Millisecond})
	e.input("in", "a")
	e.pipeline(`{"pipeline": {"name": "p"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"image": "reg.example/img:1", "cmd": ["true"]}}`)
	e.pipeline(`{"pipeline": {"name": "q"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"image": "reg.example/img:2", "cmd": ["true"]}}`)
	state := func(pipeline string) (string, string) {
		info, err := e.pps.InspectPipeline(e.ctx, pipeline)
		if err != nil {
			t.Fatal(err)
		}
		return info.State, info.Reason
	}
	job := func(pipeline string) tusk.JobInfo {
		js, err := e.pps.ListJobs(e.ctx, pipeline, "", 1)
		if err != nil || len(js) != 1 {
			t.Fatalf("jobs of %s: %v, %v", pipeline, js, err)
		}
		return js[0]
	}

	testenv.Eventually(t, time.Minute, "pipeline p is STARTING: pulling image", func() bool {
		s, why := state("p")
		return s == tusk.PipelineStarting && why == pulling.Reason
	})
	// Asked again and again for longer than the start timeout: each step
	// waits up to the time left of it.
	testenv.Eventually(t, time.Minute, "the runner is asked 8 times", func() bool { return run.called("p") >= 8 })
	if j := job("p"); j.State != tusk.JobRunning {
		t.Errorf("job of p while its image is pulled: %s %q, want RUNNING", j.State, j.Reason)
	}
	run.set("p", nil)
	testenv.Eventually(t, time.Minute, "pipeline p is RUNNING once its workers start", func() bool {
		s, why := state("p")
		return s == tusk.PipelineRunning && why == ""
	})

	testenv.Eventually(t, time.Minute, "pipeline q is CRASHING with the registry's reason", func() bool {
		s, why := state("q")
		return s == tusk.PipelineCrashing && why == failed.Error()
	})
	j := job("q")
	j = e.job("q", j.ID)
	if j.State != tusk.JobFailure || !strings.Contains(j.Reason, failed.Error()) {
		t.Errorf("job of q = %s %q, want FAILURE with %q", j.State, j.Reason, failed)
	}
}
