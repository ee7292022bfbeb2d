package scheduler

import (
	"fmt"

	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/runner"
	"github.com/tuskdata/tusk/internal/tusk"
)

// workerSpec is what the runner needs of a pipeline version to host n
// workers of it. Everything else of the spec reaches workers with their
// datums (newTask).
func workerSpec(name string, version, n int, p *spec.Pipeline) runner.WorkerSpec {
	w := runner.WorkerSpec{Pipeline: name, Version: version, Workers: n,
		Requests: resources(p.ResourceRequests), Limits: resources(p.ResourceLimits),
		PodMergePatch: string(p.PodSpec), PodJSONPatch: string(p.PodPatch)}
	if t := p.Transform; t != nil {
		w.Image, w.User, w.PullSecrets = t.Image, t.User, t.ImagePullSecrets
		for _, s := range t.Secrets {
			if s.MountPath != "" {
				w.SecretFiles = append(w.SecretFiles, runner.SecretFiles{Secret: s.Name, Path: s.MountPath})
			}
		}
	}
	if s := p.SchedulingSpec; s != nil {
		w.NodeSelector, w.PriorityClass = s.NodeSelector, s.PriorityClassName
	}
	for _, t := range p.Tolerations {
		w.Tolerations = append(w.Tolerations, runner.Toleration{Key: t.Key, Operator: t.Op(), Value: t.Value,
			Effect: t.TaintEffect(), Seconds: t.TolerationSeconds})
	}
	if s := p.Service; s != nil {
		w.Service = &runner.Service{Port: int(s.InternalPort), HostPort: int(s.Port()), HostIP: s.IP, Type: s.Type}
	}
	return w
}

// resources converts a spec's resources; nil is none.
func resources(r *spec.Resources) runner.Resources {
	if r == nil {
		return runner.Resources{}
	}
	out := runner.Resources{CPU: float64(r.CPU), Memory: int64(r.Memory), Pids: r.Pids}
	if g := r.GPU; g != nil {
		out.GPUs, out.GPUType = g.Number, g.Type
	}
	return out
}

// capable is a runner that honours some of a WorkerSpec's features.
type capable interface {
	Supports(f runner.Feature) bool
}

// checker is a runner that checks a WorkerSpec before it is asked to
// host it (the kube runner builds its pods, pod patches applied).
type checker interface {
	Check(w runner.WorkerSpec) error
}

// CheckRunner refuses a spec that asks for what this server's runner
// cannot honour, naming the field: nothing Tusk accepts is ignored.
func (s *Scheduler) CheckRunner(p *spec.Pipeline) error {
	w := workerSpec(p.Name(), 1, 1, p)
	if err := s.checkFeatures(p, w); err != nil {
		return err
	}
	if k, ok := s.runner.(checker); ok {
		if err := k.Check(w); err != nil {
			return tusk.Errorf(tusk.KindInvalid, "pipeline %q: %v", p.Name(), err)
		}
	}
	return nil
}

// checkFeatures refuses w, made from p, if it asks for a feature the
// runner does not support.
func (s *Scheduler) checkFeatures(p *spec.Pipeline, w runner.WorkerSpec) error {
	c, _ := s.runner.(capable)
	for _, f := range w.Features() {
		if c != nil && c.Supports(f) {
			continue
		}
		name := ""
		if n, ok := s.runner.(interface{ Name() string }); ok {
			name = n.Name()
		}
		runners, flags := "the kube runner (tusk up --runner kube)", "--runner kube"
		if f == runner.FeatureGPU {
			runners, flags = "the kube or docker runner (tusk up --runner kube, or --runner docker for NVIDIA GPUs)", "--runner kube or --runner docker"
		}
		err := tusk.Errorf(tusk.KindInvalid, "pipeline %q: field %q needs %s; this server runs the %s runner",
			p.Name(), featureField(f, p), runners, name)
		return err.WithHint("remove the field, or run the pipeline on a server started with %s", flags)
	}
	return nil
}

// featureField names the field of p that asks for f.
func featureField(f runner.Feature, p *spec.Pipeline) string {
	switch f {
	case runner.FeatureNodeSelector:
		return "scheduling_spec.node_selector"
	case runner.FeaturePriorityClass:
		return "scheduling_spec.priority_class_name"
	case runner.FeatureTolerations:
		return "tolerations"
	case runner.FeatureGPU:
		if p.ResourceLimits != nil && p.ResourceLimits.GPU != nil {
			return "resource_limits.gpu"
		}
		return "resource_requests.gpu"
	case runner.FeaturePullSecrets:
		return "transform.image_pull_secrets"
	case runner.FeaturePodPatch:
		if p.PodSpec != "" {
			return "pod_spec"
		}
		return "pod_patch"
	case runner.FeatureSecretFiles:
		for i, s := range p.Transform.Secrets {
			if s.MountPath != "" {
				return fmt.Sprintf("transform.secrets[%d].mount_path", i)
			}
		}
	}
	return string(f)
}
