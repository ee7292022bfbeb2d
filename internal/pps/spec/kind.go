package spec

// Spout makes a pipeline with no input whose command runs forever and
// writes to its output repo itself, with `pachctl put file` (or `tusk put
// file`) inside its container, as Pachyderm 2.x spouts do.
type Spout struct {
	// Service, a spout that also serves a port, is not supported yet.
	Service *Service `json:"service,omitempty"`
}

// Service makes a pipeline whose command runs long, serving InternalPort,
// on the single datum of its newest input: it is restarted on each new
// job. Runners publish it at ExternalPort (0: InternalPort).
type Service struct {
	InternalPort int32 `json:"internal_port,omitempty"`
	ExternalPort int32 `json:"external_port,omitempty"`
	// IP is the address the port is published on (Kubernetes' external
	// IP); the docker runner's default is 127.0.0.1.
	IP   string `json:"ip,omitempty"`
	Type string `json:"type,omitempty"`
}

// Service types, as Kubernetes names them.
const (
	ServiceNodePort  = "NodePort"
	ServiceClusterIP = "ClusterIP"
)

// Port returns the port a service is published on.
func (s *Service) Port() int32 {
	if s.ExternalPort != 0 {
		return s.ExternalPort
	}
	return s.InternalPort
}

// checkSpout checks what a spout may not have: it makes no jobs, so
// nothing of jobs and datums applies to it.
func checkSpout(p *Pipeline) error {
	if p.Spout.Service != nil {
		return unsupported("spout.service")
	}
	if p.Service != nil {
		return errorAt("service", "is set with spout; a pipeline is a spout or a service, not both")
	}
	if p.Input != nil {
		return errorAt("input", "is set, but a spout takes no input: its command writes to its output repo itself "+
			"(pachctl put file %s@%s:/path); remove input", p.Name(), p.OutputBranch)
	}
	if p.Autoscaling {
		return errorAt("autoscaling", "is true, but a spout runs all the time, so it cannot scale to zero; remove autoscaling")
	}
	if c := p.ParallelismSpec; c != nil && c.Constant > 1 {
		return errorAt("parallelism_spec.constant", "is %d, but a spout runs one copy of its command; use 1 or leave it out", c.Constant)
	}
	if p.Egress != nil {
		return errorAt("egress", "is set, but a spout makes no jobs to egress; remove it")
	}
	if t := p.Transform; len(t.ErrCmd) > 0 || t.DatumBatching {
		return errorAt("transform", "has err_cmd or datum_batching, which work on datums, and a spout has none; remove them")
	}
	return nil
}

// checkService checks that a service has one datum, at most one worker and
// a port.
func checkService(p *Pipeline) error {
	s := p.Service
	if s.InternalPort < 1 || s.InternalPort > 65535 {
		return errorAt("service.internal_port", "is %d; give the port the command listens on, 1 to 65535", s.InternalPort)
	}
	if s.ExternalPort < 0 || s.ExternalPort > 65535 {
		return errorAt("service.external_port", "is %d; give the port to publish it on, 1 to 65535, or leave it out for internal_port", s.ExternalPort)
	}
	switch s.Type {
	case "", ServiceNodePort, ServiceClusterIP:
	default:
		return errorAt("service.type", "is %q, which Tusk does not support; use %q or %q", s.Type, ServiceNodePort, ServiceClusterIP)
	}
	if p.Autoscaling {
		return errorAt("autoscaling", "is true, but a service runs all the time, so it cannot scale to zero; remove autoscaling")
	}
	if c := p.ParallelismSpec; c != nil && c.Constant > 1 {
		return errorAt("parallelism_spec.constant", "is %d, but a service runs one copy of its command; use 1 or leave it out", c.Constant)
	}
	if p.Input == nil {
		return nil // reported as missing
	}
	var err error
	Walk(p.Input, func(in *Input) {
		switch {
		case err != nil:
		case in.PFS != nil && in.PFS.Glob != "/":
			err = errorAt("input", "has a glob of %q on %s, but a service runs on one datum, its input's newest commit; use the glob \"/\"", in.PFS.Glob, in.PFS.Repo)
		case in.Union != nil || in.Join != nil || in.Group != nil || in.Cron != nil:
			err = errorAt("input", "has a union, join, group or cron, but a service runs on one datum; give pfs inputs with the glob \"/\" (a cross of them is one datum)")
		}
	})
	return err
}
