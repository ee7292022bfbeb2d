package docker_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/server"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// TestPipelineGPUsTheEngineLacks: on an engine with no NVIDIA runtime (as
// here), a pipeline that asks for a GPU is CRASHING with the engine's
// refusal, naming the GPUs, and its job fails when its workers do not
// start in time, instead of waiting on workers that never come.
func TestPipelineGPUsTheEngineLacks(t *testing.T) {
	if needDocker(t).hasRuntime("nvidia") {
		t.Skip("the engine has an NVIDIA runtime: it may give GPUs")
	}
	e := newE2EWith(t, server.Config{WorkerStartTimeout: 5 * time.Second})
	e.setup(`{"pipeline": {"name": "trains"},
		"input": {"pfs": {"repo": "words", "glob": "/*"}},
		"transform": {"image": "` + testImage + `", "cmd": ["true"]},
		"resource_limits": {"gpu": {"type": "nvidia.com/gpu", "number": 1}}}`)
	c := e.put("words", "/a.txt", "one\n")

	var info tusk.PipelineInfo
	testenv.Eventually(t, time.Minute, "pipeline trains is CRASHING", func() bool {
		var err error
		info, err = e.c.InspectPipeline(e.ctx, "trains")
		return err == nil && info.State == tusk.PipelineCrashing
	})
	for _, want := range []string{"asks for 1 GPU(s) (nvidia.com/gpu), which the Docker engine cannot give", `could not select device driver "nvidia"`} {
		if !strings.Contains(info.Reason, want) {
			t.Errorf("pipeline trains: reason %q, want it to say %q", info.Reason, want)
		}
	}
	if _, err := e.c.WaitCommit(e.ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	js, err := e.c.ListJobs(e.ctx, "trains", "", 1)
	if err != nil || len(js) != 1 {
		t.Fatalf("jobs of trains: %+v, %v", js, err)
	}
	if j := js[0]; j.State != tusk.JobFailure || !strings.Contains(j.Reason, "workers did not start") || !strings.Contains(j.Reason, "GPU") {
		t.Errorf("job of trains: %s %q, want a failure saying its workers did not start for want of a GPU", j.State, j.Reason)
	}
}
