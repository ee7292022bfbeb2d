package docker

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/runner"
)

func TestLimits(t *testing.T) {
	tests := []struct {
		name             string
		limits, requests runner.Resources
		cpu              float64
		memory           int64
	}{
		{name: "none"},
		{name: "limits", limits: runner.Resources{CPU: 2, Memory: 1 << 30}, requests: runner.Resources{CPU: 1, Memory: 1 << 20}, cpu: 2, memory: 1 << 30},
		{name: "requests", requests: runner.Resources{CPU: 0.5, Memory: 1 << 20}, cpu: 0.5, memory: 1 << 20},
		{name: "each from where it is set", limits: runner.Resources{Memory: 1 << 30}, requests: runner.Resources{CPU: 0.25}, cpu: 0.25, memory: 1 << 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cpu, memory := limits(runner.WorkerSpec{Limits: tt.limits, Requests: tt.requests})
			if cpu != tt.cpu || memory != tt.memory {
				t.Errorf("limits = %v, %d; want %v, %d", cpu, memory, tt.cpu, tt.memory)
			}
		})
	}
}

func TestRequest(t *testing.T) {
	r := &Runner{opts: Options{Binary: "/usr/local/bin/tusk", Socket: "/data/tusk.sock", Instance: "i1", NoNetwork: true}}
	w := runner.WorkerSpec{Pipeline: "edges", Version: 3, Workers: 2, Image: "img", User: "nobody", Limits: runner.Resources{CPU: 1.5, Memory: 256 << 20}}
	id := workerID(w, 1)
	req := r.request(w, localImage{ID: "sha256:abc", Digest: "reg.example/img@sha256:def"}, id)
	if id != "edges-v3-1" || containerName("i1", id) != "tusk-i1-edges-v3-1" {
		t.Errorf("worker %q, container %q", id, containerName("i1", id))
	}
	if req.Image != "sha256:abc" || req.User != "nobody" || req.HostConfig.NetworkMode != "none" ||
		req.HostConfig.NanoCPUs != 15e8 || req.HostConfig.Memory != 256<<20 || req.HostConfig.Privileged {
		t.Errorf("request %+v", req)
	}
	wantCmd := []string{"worker", "--pipeline", "edges", "--id", "edges-v3-1", "--address", "unix:///.tusk/tusk.sock", "--root", "/pfs",
		"--image-id", "sha256:abc", "--image-digest", "reg.example/img@sha256:def", "--user-applied"}
	if !slices.Equal(req.Cmd, wantCmd) {
		t.Errorf("cmd %q, want %q", req.Cmd, wantCmd)
	}
	want := map[string]string{"tusk.instance": "i1", "tusk.pipeline": "edges", "tusk.version": "3", "tusk.worker": "edges-v3-1"}
	for k, v := range want {
		if req.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, req.Labels[k], v)
		}
	}
	for _, m := range req.HostConfig.Mounts {
		if !m.ReadOnly || m.Type != "bind" {
			t.Errorf("mount %+v is not a read-only bind", m)
		}
	}
}

// TestRequestGPUs: GPUs asked for in resource_limits, or else in
// resource_requests, become a device request of the NVIDIA driver, as
// docker run --gpus N makes; the JSON the engine gets says so.
func TestRequestGPUs(t *testing.T) {
	r := &Runner{opts: Options{Binary: "/usr/local/bin/tusk", Socket: "/data/tusk.sock", Instance: "i1"}}
	img := localImage{ID: "sha256:abc"}
	for _, tc := range []struct {
		name             string
		limits, requests runner.Resources
		want             string
	}{
		{name: "none", want: ""},
		{name: "limits", limits: runner.Resources{GPUs: 2, GPUType: "nvidia.com/gpu"}, want: `[{"Driver":"nvidia","Count":2,"Capabilities":[["gpu"]]}]`},
		{name: "requests", requests: runner.Resources{GPUs: 1, GPUType: "nvidia.com/gpu"}, want: `[{"Driver":"nvidia","Count":1,"Capabilities":[["gpu"]]}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := r.request(runner.WorkerSpec{Pipeline: "p", Version: 1, Limits: tc.limits, Requests: tc.requests}, img, "p-v1-0")
			b, err := json.Marshal(req.HostConfig)
			if err != nil {
				t.Fatal(err)
			}
			var hc struct{ DeviceRequests json.RawMessage }
			if err := json.Unmarshal(b, &hc); err != nil {
				t.Fatal(err)
			}
			if got := string(hc.DeviceRequests); got != tc.want {
				t.Errorf("DeviceRequests %s, want %s", got, tc.want)
			}
		})
	}
}

// TestCheckGPUType: the docker runner takes NVIDIA's GPUs and refuses
// another type, naming the field.
func TestCheckGPUType(t *testing.T) {
	r := &Runner{}
	if err := r.Check(runner.WorkerSpec{Limits: runner.Resources{GPUs: 1, GPUType: "nvidia.com/gpu"}}); err != nil {
		t.Errorf("NVIDIA GPUs: %v", err)
	}
	err := r.Check(runner.WorkerSpec{Requests: runner.Resources{GPUs: 1, GPUType: "amd.com/gpu"}})
	if err == nil || !strings.Contains(err.Error(), `resource_requests.gpu.type is "amd.com/gpu"`) {
		t.Errorf("AMD GPUs: %v, want a refusal naming resource_requests.gpu.type", err)
	}
	if !r.Supports(runner.FeatureGPU) {
		t.Error("the docker runner does not say it supports GPUs")
	}
}

func TestPidsLimit(t *testing.T) {
	if got := pidsLimit(runner.Resources{Memory: 1 << 30}); got != DefaultPidsLimit {
		t.Errorf("pids limit without resource_limits.pids = %d, want the default %d", got, DefaultPidsLimit)
	}
	if got := pidsLimit(runner.Resources{Pids: 50000}); got != 50000 {
		t.Errorf("pids limit with resource_limits.pids 50000 = %d", got)
	}
}

func TestNameSafe(t *testing.T) {
	if got := containerName("a b/c", "p_1.x-v1-0"); got != "tusk-a-b-c-p_1.x-v1-0" {
		t.Errorf("containerName = %q", got)
	}
}

func TestRequestPublishesServicePort(t *testing.T) {
	r := &Runner{opts: Options{Binary: "/usr/local/bin/tusk", Socket: "/data/tusk.sock", Instance: "i1"}}
	for _, tc := range []struct {
		service runner.Service
		want    portBinding
		addr    string
	}{
		{runner.Service{Port: 8080, HostPort: 30080}, portBinding{HostIP: "127.0.0.1", HostPort: "30080"}, "127.0.0.1:30080"},
		{runner.Service{Port: 80, HostPort: 8000, HostIP: "::1"}, portBinding{HostIP: "::1", HostPort: "8000"}, "[::1]:8000"},
	} {
		w := runner.WorkerSpec{Pipeline: "web", Version: 1, Workers: 1, Image: "img", Service: &tc.service}
		req := r.request(w, localImage{ID: "sha256:abc"}, workerID(w, 0))
		port := strconv.Itoa(tc.service.Port) + "/tcp"
		if _, ok := req.ExposedPorts[port]; !ok || len(req.ExposedPorts) != 1 {
			t.Errorf("exposed ports %v, want %s", req.ExposedPorts, port)
		}
		if got := req.HostConfig.PortBindings[port]; len(got) != 1 || got[0] != tc.want {
			t.Errorf("port bindings %v, want %s on %+v", req.HostConfig.PortBindings, port, tc.want)
		}
		if got := r.ServiceAddress(w); got != tc.addr {
			t.Errorf("address %s, want %s", got, tc.addr)
		}
	}
	w := runner.WorkerSpec{Pipeline: "edges", Version: 1, Workers: 1, Image: "img"}
	if req := r.request(w, localImage{ID: "sha256:abc"}, workerID(w, 0)); req.ExposedPorts != nil || req.HostConfig.PortBindings != nil {
		t.Errorf("a pipeline that is no service publishes %v %v", req.ExposedPorts, req.HostConfig.PortBindings)
	}
}
