package scheduler_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tuskdata/tusk/internal/pps/scheduler"
	"github.com/tuskdata/tusk/internal/runner"
)

// lastSpec waits for the runner to be asked for workers of pipeline and
// returns the last spec it got.
func (r *recordingRunner) lastSpec(t *testing.T, pipeline string) runner.WorkerSpec {
	t.Helper()
	r.wait(t, pipeline)
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last[pipeline]
}

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
	want := runner.WorkerSpec{Pipeline: "p", Version: 1, Workers: 2, Image: "img:1", User: "1000:100",
		Requests: runner.Resources{CPU: 0.5, Memory: 64 << 20}, Limits: runner.Resources{CPU: 2, Memory: 1e9, Pids: 300}}
	if diff := cmp.Diff(want, rec.lastSpec(t, "p")); diff != "" {
		t.Errorf("the runner got (-want +got):\n%s", diff)
	}
}

// podRunner is a recordingRunner that honours every feature, as a runner
// of pods does.
type podRunner struct{ *recordingRunner }

func (podRunner) Supports(runner.Feature) bool { return true }

// podFields is a spec that asks for every feature of a runner of pods.
const podFields = `{"pipeline": {"name": "p"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
	"transform": {"image": "img:1", "cmd": ["true"], "image_pull_secrets": ["regcred"],
		"secrets": [{"name": "creds", "mount_path": "/etc/creds"}, {"name": "creds", "key": "k", "env_var": "K"}]},
	"scheduling_spec": {"node_selector": {"disk": "ssd"}, "priority_class_name": "high"},
	"tolerations": [{"key": "gpu", "operator": "EXISTS", "effect": "NO_EXECUTE", "toleration_seconds": 30},
		{"key": "zone", "operator": "Equal", "value": "a", "effect": "NoSchedule"}],
	"resource_limits": {"gpu": {"number": 2}},
	"pod_spec": "{\"hostname\": \"w\"}",
	"pod_patch": [{"op": "add", "path": "/subdomain", "value": "s"}]}`

// TestRunnerGetsWherePodsRun: a runner that honours them is told the
// spec's scheduling, tolerations, GPUs, pull secrets, pod patches and
// secrets' directories, in Kubernetes' words.
func TestRunnerGetsWherePodsRun(t *testing.T) {
	rec := podRunner{&recordingRunner{workers: map[string]int{}}}
	e := newAPIEnvWith(t, filepath.Join(t.TempDir(), "meta.db"), rec, scheduler.Options{})
	e.input("in", "a")
	if err := e.create(podFields, false); err != nil {
		t.Fatal(err)
	}
	secs := int64(30)
	want := runner.WorkerSpec{Pipeline: "p", Version: 1, Workers: 1, Image: "img:1",
		Limits:       runner.Resources{GPUs: 2, GPUType: "nvidia.com/gpu"},
		NodeSelector: map[string]string{"disk": "ssd"}, PriorityClass: "high",
		Tolerations: []runner.Toleration{{Key: "gpu", Operator: "Exists", Effect: "NoExecute", Seconds: &secs},
			{Key: "zone", Operator: "Equal", Value: "a", Effect: "NoSchedule"}},
		PullSecrets:   []string{"regcred"},
		PodMergePatch: `{"hostname": "w"}`, PodJSONPatch: `[{"op":"add","path":"/subdomain","value":"s"}]`,
		SecretFiles: []runner.SecretFiles{{Secret: "creds", Path: "/etc/creds"}}}
	if diff := cmp.Diff(want, rec.lastSpec(t, "p")); diff != "" {
		t.Errorf("the runner got (-want +got):\n%s", diff)
	}
}

// TestRunnerRefusesWhatItCannotHonour: a runner without pods refuses,
// at create time, each field only a runner of pods honours, naming the
// field and the runner.
func TestRunnerRefusesWhatItCannotHonour(t *testing.T) {
	e := newAPIEnvWith(t, filepath.Join(t.TempDir(), "meta.db"), noWorkers{}, scheduler.Options{})
	e.input("in", "a")
	base := `{"pipeline": {"name": "p"}, "input": {"pfs": {"repo": "in", "glob": "/*"}}, "transform": {"cmd": ["true"]%s}%s}`
	for field, js := range map[string]string{
		"scheduling_spec.node_selector":       fmt.Sprintf(base, "", `, "scheduling_spec": {"node_selector": {"disk": "ssd"}}`),
		"scheduling_spec.priority_class_name": fmt.Sprintf(base, "", `, "scheduling_spec": {"priority_class_name": "high"}`),
		"tolerations":                         fmt.Sprintf(base, "", `, "tolerations": [{"operator": "Exists"}]`),
		"resource_requests.gpu":               fmt.Sprintf(base, "", `, "resource_requests": {"gpu": {"type": "amd.com/gpu", "number": 1}}`),
		"transform.image_pull_secrets":        fmt.Sprintf(base, `, "image_pull_secrets": ["regcred"]`, ""),
		"pod_spec":                            fmt.Sprintf(base, "", `, "pod_spec": "{}"`),
		"pod_patch":                           fmt.Sprintf(base, "", `, "pod_patch": "[]"`),
		"transform.secrets[1].mount_path":     fmt.Sprintf(base, `, "secrets": [{"name": "s", "key": "k", "env_var": "K"}, {"name": "s", "mount_path": "/s"}]`, ""),
	} {
		runners := "the kube runner (tusk up --runner kube)"
		if field == "resource_requests.gpu" {
			runners = "the kube or docker runner (tusk up --runner kube, or --runner docker for NVIDIA GPUs)"
		}
		wantRefusal(t, field, e.create(js, false), `field "`+field+`" needs `+runners+`; this server runs the none runner`)
	}
	if _, err := e.pps.InspectPipeline(e.ctx, "p"); err == nil {
		t.Error("a refused pipeline was created")
	}
}
