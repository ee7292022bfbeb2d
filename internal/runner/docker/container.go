package docker

import (
	"cmp"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/tuskdata/tusk/internal/runner"
)

// Paths inside a worker container.
const (
	binPath  = "/.tusk/tusk"      // the tusk binary, bind-mounted read-only
	sockPath = "/.tusk/tusk.sock" // the server's worker socket
	pfsPath  = "/pfs"             // a tmpfs where the shim lays out datums
)

// pfsOptions mount /pfs writable by any user (transform.user may be anyone)
// and let user code run programs from it, as it can on Pachyderm.
const pfsOptions = "rw,exec,nosuid,nodev,mode=1777"

// Labels of worker containers.
const (
	labelInstance = "tusk.instance"
	labelPipeline = "tusk.pipeline"
	labelVersion  = "tusk.version"
	labelWorker   = "tusk.worker"
	labelCluster  = "tusk.cluster"
	labelServer   = "tusk.server"
)

// createRequest is the body of the engine's container create call.
type createRequest struct {
	Image      string
	Entrypoint []string
	Cmd        []string
	User       string   `json:",omitempty"`
	Env        []string `json:",omitempty"`
	Labels     map[string]string
	// ExposedPorts and HostConfig.PortBindings publish a service's port.
	ExposedPorts map[string]struct{} `json:",omitempty"`
	HostConfig   hostConfig
}

type hostConfig struct {
	Mounts      []mount
	Tmpfs       map[string]string
	NetworkMode string `json:",omitempty"`
	NanoCPUs    int64  `json:"NanoCpus,omitempty"`
	Memory      int64  `json:",omitempty"`
	PidsLimit   int64
	// Privileged is always false: it is spelled out so that no default
	// of the engine can change it.
	Privileged bool
	// SecurityOpt holds no-new-privileges: no program the container runs
	// (a setuid one, one with file capabilities) gains privileges.
	SecurityOpt []string
	// CapDrop and CapAdd leave a container's root only capabilities that
	// ordinary programs use on their own files (capabilities).
	CapDrop, CapAdd []string
	// GroupAdd gives every container the worker socket's group.
	GroupAdd     []string
	PortBindings map[string][]portBinding `json:",omitempty"`
	// DeviceRequests give the container GPUs.
	DeviceRequests []deviceRequest `json:",omitempty"`
}

// deviceRequest asks the engine for devices of a driver, as docker run
// --gpus does.
type deviceRequest struct {
	Driver       string
	Count        int
	Capabilities [][]string
}

// nvidiaGPU is the GPU type (a Kubernetes extended resource) the engine
// can give a container, through the NVIDIA Container Toolkit.
const nvidiaGPU = "nvidia.com/gpu"

// gpus returns the GPUs a worker asks for: resource_limits.gpu, or where
// it does not say, resource_requests.gpu (the spec has them equal when
// both are set).
func gpus(w runner.WorkerSpec) int64 {
	return cmp.Or(w.Limits.GPUs, w.Requests.GPUs)
}

type portBinding struct {
	HostIP   string `json:"HostIp"`
	HostPort string
}

// DefaultServiceIP is where a service's port is published when its spec
// gives no ip: the loopback address, reached from this host only.
const DefaultServiceIP = "127.0.0.1"

// publish has req publish the port of service s.
func publish(req *createRequest, s *runner.Service) {
	port := strconv.Itoa(s.Port) + "/tcp"
	req.ExposedPorts = map[string]struct{}{port: {}}
	req.HostConfig.PortBindings = map[string][]portBinding{
		port: {{HostIP: cmp.Or(s.HostIP, DefaultServiceIP), HostPort: strconv.Itoa(s.HostPort)}}}
}

// ServiceAddress is where the runner publishes a service's port.
func (r *Runner) ServiceAddress(w runner.WorkerSpec) string {
	return net.JoinHostPort(cmp.Or(w.Service.HostIP, DefaultServiceIP), strconv.Itoa(w.Service.HostPort))
}

// capabilities are those a container keeps of the engine's defaults: what
// a program running as root uses on files and processes of its own
// container (chown, writing others' files, setuid to drop to a user,
// signalling its processes). Dropped are raw sockets (spoofing on the
// engine's network), making devices, binding ports below 1024, chroot,
// writing the audit log and setting file capabilities.
var capabilities = []string{"CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID"}

type mount struct {
	Type     string
	Source   string
	Target   string
	ReadOnly bool
}

// DefaultPidsLimit is the most processes and threads a worker container
// holds when the spec's resource_limits.pids does not say: enough for
// any ordinary program, few enough that a runaway loop of forks stops
// in its container instead of exhausting the host.
const DefaultPidsLimit = 1024

// workerID names worker i of a pipeline version, as the process runner
// does.
func workerID(w runner.WorkerSpec, i int) string {
	return fmt.Sprintf("%s-v%d-%d", w.Pipeline, w.Version, i)
}

// containerName is the engine's name of a worker's container. It holds the
// instance ID, so that servers sharing an engine never collide.
func containerName(instance, worker string) string {
	return "tusk-" + nameSafe(instance) + "-" + nameSafe(worker)
}

// nameSafe replaces what container names cannot hold ([a-zA-Z0-9_.-]).
func nameSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			return r
		}
		return '-'
	}, s)
}

// request returns the create request of one worker of w: the image by ID
// (given to the shim with its registry digest, to record with each
// datum), the shim as entrypoint, the binary and the socket bind-mounted, /pfs a
// tmpfs, transform.user as the user with the socket's group, the resource
// and pids limits, no new privileges and few capabilities, and labels
// that say which instance, pipeline and version the container belongs to
// (and which cluster and server, when the runner has them).
func (r *Runner) request(w runner.WorkerSpec, img localImage, worker string) *createRequest {
	cpu, memory := limits(w)
	req := &createRequest{
		Image:      img.ID,
		Entrypoint: []string{binPath},
		Cmd: []string{"worker", "--pipeline", w.Pipeline, "--id", worker,
			"--address", "unix://" + sockPath, "--root", pfsPath, "--image-id", img.ID},
		User: w.User,
		Labels: map[string]string{
			labelInstance: r.opts.Instance,
			labelPipeline: w.Pipeline,
			labelVersion:  strconv.Itoa(w.Version),
			labelWorker:   worker,
		},
		HostConfig: hostConfig{
			Mounts: []mount{
				{Type: "bind", Source: r.opts.Binary, Target: binPath, ReadOnly: true},
				{Type: "bind", Source: r.opts.Socket, Target: sockPath, ReadOnly: true},
			},
			Tmpfs:       map[string]string{pfsPath: pfsOptions},
			NanoCPUs:    int64(cpu * 1e9),
			Memory:      memory,
			PidsLimit:   pidsLimit(w.Limits),
			SecurityOpt: []string{"no-new-privileges"},
			CapDrop:     []string{"ALL"},
			CapAdd:      capabilities,
			GroupAdd:    []string{strconv.Itoa(r.opts.SocketGroup)},
		},
	}
	if r.opts.Cluster != "" {
		req.Labels[labelCluster], req.Labels[labelServer] = r.opts.Cluster, r.opts.Server
	}
	if r.opts.NoNetwork {
		req.HostConfig.NetworkMode = "none"
	}
	if n := gpus(w); n > 0 {
		req.HostConfig.DeviceRequests = []deviceRequest{{Driver: "nvidia", Count: int(n), Capabilities: [][]string{{"gpu"}}}}
	}
	if img.Digest != "" {
		req.Cmd = append(req.Cmd, "--image-digest", img.Digest)
	}
	if w.User != "" {
		req.Cmd = append(req.Cmd, "--user-applied")
	}
	if w.Service != nil {
		publish(req, w.Service)
	}
	return req
}

// limits returns the CPU (cores) and memory (bytes) a worker is limited
// to: resource_limits, or where it does not say, resource_requests. Zero
// means no limit.
func limits(w runner.WorkerSpec) (cpu float64, memory int64) {
	cpu, memory = w.Limits.CPU, w.Limits.Memory
	if cpu == 0 {
		cpu = w.Requests.CPU
	}
	if memory == 0 {
		memory = w.Requests.Memory
	}
	return cpu, memory
}

// pidsLimit returns the most processes and threads a worker may hold:
// resource_limits.pids, or DefaultPidsLimit.
func pidsLimit(limits runner.Resources) int64 {
	if limits.Pids > 0 {
		return limits.Pids
	}
	return DefaultPidsLimit
}
