package scheduler_test

import (
	"path/filepath"
	"testing"

	"github.com/tuskdata/tusk/internal/pps/scheduler"
	"github.com/tuskdata/tusk/internal/runner"
)

// TestRunnerGetsWhatItHosts: the runner is told the pipeline's image,
// user and resources, as the spec gives them, for its current version.
func TestRunnerGetsWhatItHosts(t *testing.T) {
	rec := &recordingRunner{workers: map[string]int{}}
	e := newAPIEnvWith(t, filepath.Join(t.TempDir(), "meta.db"), rec, scheduler.Options{})
	e.input("in", "a")
	js := `{"pipeline": {"name": "p"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"image": "img:1", "user": "1000:100", "cmd": ["true"]}, "parallelism_spec": {"constant": 2},
		"resource_requests": {"cpu": 0.5, "memory": "64Mi"}, "resource_limits": {"cpu": 2, "memory": "1G", "pids": 300}}`
	if err := e.create(js, false); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, "p")
	rec.mu.Lock()
	got := rec.last["p"]
	rec.mu.Unlock()
	want := runner.WorkerSpec{Pipeline: "p", Version: 1, Workers: 2, Image: "img:1", User: "1000:100",
		Requests: runner.Resources{CPU: 0.5, Memory: 64 << 20}, Limits: runner.Resources{CPU: 2, Memory: 1e9, Pids: 300}}
	if got != want {
		t.Errorf("the runner got %+v, want %+v", got, want)
	}
}
