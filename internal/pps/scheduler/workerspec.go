package scheduler

import (
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/runner"
)

// workerSpec is what the runner needs of a pipeline version to host n
// workers of it. Everything else of the spec reaches workers with their
// datums (newTask).
func workerSpec(name string, version, n int, p *spec.Pipeline) runner.WorkerSpec {
	w := runner.WorkerSpec{Pipeline: name, Version: version, Workers: n,
		Requests: resources(p.ResourceRequests), Limits: resources(p.ResourceLimits)}
	if t := p.Transform; t != nil {
		w.Image, w.User = t.Image, t.User
	}
	return w
}

// resources converts a spec's resources; nil is none.
func resources(r *spec.Resources) runner.Resources {
	if r == nil {
		return runner.Resources{}
	}
	return runner.Resources{CPU: float64(r.CPU), Memory: int64(r.Memory), Pids: r.Pids}
}
