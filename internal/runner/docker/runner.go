package docker

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/tuskdata/tusk/internal/dockerengine"
	"github.com/tuskdata/tusk/internal/runner"
)

// Options configure a docker runner.
type Options struct {
	// Binary is the static tusk binary, mounted read-only into every
	// container as its entrypoint.
	Binary string
	// Socket is the server's worker socket, mounted into every container.
	Socket string
	// SocketGroup is the group that may use the socket, a supplementary
	// group of every container, so that it connects whatever its user.
	SocketGroup int
	// Instance identifies the server instance (stable across restarts of
	// a data directory). Containers are labelled with it; a runner
	// removes, at start and on Stop and Close, containers carrying its
	// own instance ID.
	Instance string
	// Cluster identifies the servers sharing one metadata store, and
	// Server this run of this server among them, as the store tells the
	// servers alive. Containers are labelled with both, so that a server
	// that begins to lead removes those of servers of its cluster that
	// died (RemoveDeadWorkers), and never those of another cluster on the
	// same engine. Empty, containers carry neither.
	Cluster, Server string
	// Engine is the engine's socket; default: DOCKER_HOST when it is
	// unix://…, else /var/run/docker.sock.
	Engine string
	// NoNetwork runs workers with network mode "none". By default they
	// have the engine's default network, as on Pachyderm.
	NoNetwork bool
	// DockerConfig is the directory of the docker config (config.json)
	// whose registry credentials pulls use; default: $DOCKER_CONFIG, else
	// ~/.docker.
	DockerConfig string
	// Credentials gives each container its own token; nil gives none
	// (a server without authentication).
	Credentials runner.Credentials
	// Secrets opens the secrets Tusk keeps, which a pipeline's
	// image_pull_secrets name; nil refuses image_pull_secrets.
	Secrets SecretSource
	Logger  *slog.Logger
}

// A SecretSource opens the secrets Tusk keeps (tusk create secret): the
// values of their keys.
type SecretSource interface {
	Secret(ctx context.Context, name string) (map[string][]byte, error)
}

// Supports reports that the docker runner gives containers GPUs (Check
// says which), pulls with image pull secrets when it has secrets
// (Options.Secrets), and honours no other feature.
func (r *Runner) Supports(f runner.Feature) bool {
	return f == runner.FeatureGPU || f == runner.FeaturePullSecrets && r.opts.Secrets != nil
}

// Check refuses GPUs of a type the engine cannot give a container: only
// NVIDIA's (nvidia.com/gpu), which it gives as docker run --gpus N does.
func (r *Runner) Check(w runner.WorkerSpec) error {
	for _, g := range []struct {
		field string
		res   runner.Resources
	}{{"resource_limits", w.Limits}, {"resource_requests", w.Requests}} {
		if g.res.GPUs > 0 && g.res.GPUType != "" && g.res.GPUType != nvidiaGPU {
			return fmt.Errorf("%s.gpu.type is %q: the docker runner gives containers NVIDIA GPUs only (type %q, as docker run --gpus); "+
				"use that type, or run the pipeline on a server started with --runner kube, where any device plugin's resource works",
				g.field, g.res.GPUType, nvidiaGPU)
		}
	}
	return nil
}

// Runner runs each worker as a long-lived container of the pipeline's
// image, with the tusk binary mounted in as its entrypoint.
type Runner struct {
	opts Options
	eng  engine
	log  *slog.Logger

	mu     sync.Mutex
	groups map[string]*group
	pulls  map[string]*pullState // by image name, while running and a while after failing
	closed bool

	// pulling is the context of the pulls, which Close cancels (endPulls)
	// and waits for (pullsDone).
	pulling   context.Context
	endPulls  context.CancelFunc
	pullsDone sync.WaitGroup
}

var _ runner.Runner = (*Runner)(nil)

// removeTimeout bounds the removal of containers when no caller's context
// applies (a supervisor stopping, Close).
const removeTimeout = 30 * time.Second

// Ping reports whether a Docker engine answers on socket (default: as for
// Options.Engine).
func Ping(ctx context.Context, socket string) error {
	sock, err := dockerengine.Socket(socket)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	e := dockerengine.New(sock)
	defer e.Close()
	return e.Ping(ctx)
}

// New checks that the binary is static and the engine answers, and
// removes the containers a previous run of this instance left behind.
func New(ctx context.Context, opts Options) (*Runner, error) {
	if opts.Instance == "" {
		return nil, errors.New("docker runner: no instance ID")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	var err error
	if opts.Binary, err = filepath.Abs(opts.Binary); err != nil {
		return nil, fmt.Errorf("worker binary: %w", err)
	}
	if err := checkStatic(opts.Binary); err != nil {
		return nil, err
	}
	if opts.Socket, err = filepath.Abs(opts.Socket); err != nil {
		return nil, fmt.Errorf("worker socket: %w", err)
	}
	if fi, err := os.Stat(opts.Socket); err != nil || fi.Mode().Type() != fs.ModeSocket {
		return nil, fmt.Errorf("worker socket %s: not a listening Unix socket (%v)", opts.Socket, err)
	}
	sock, err := dockerengine.Socket(opts.Engine)
	if err != nil {
		return nil, err
	}
	r := &Runner{opts: opts, eng: engine{dockerengine.New(sock)}, log: opts.Logger.WithGroup("docker-runner"), groups: map[string]*group{}, pulls: map[string]*pullState{}}
	if err := r.eng.Negotiate(ctx); err != nil {
		r.eng.Close()
		return nil, err
	}
	if err := r.sweep(ctx); err != nil {
		r.eng.Close()
		return nil, fmt.Errorf("remove the worker containers of a previous run: %w", err)
	}
	r.pulling, r.endPulls = context.WithCancel(context.Background())
	return r, nil
}

// Name returns "docker".
func (r *Runner) Name() string { return "docker" }

// Ensure makes the pipeline version's containers run: it replaces the
// containers of another version, and scaling starts or removes only the
// difference; no workers removes them all, an idle pipeline keeping
// nothing. It also reports a worker whose container died lately.
func (r *Runner) Ensure(ctx context.Context, w runner.WorkerSpec) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return errors.New("docker runner: closed")
	}
	if w.Workers <= 0 {
		// An idle pipeline keeps no container; its image is looked at
		// again when it scales up.
		r.stopLocked(w.Pipeline)
		return nil
	}
	if w.Service != nil && r.opts.NoNetwork {
		return errors.New("docker runner: a service's port cannot be published: worker containers have no network (tusk up --no-worker-network)")
	}
	g, ok := r.groups[w.Pipeline]
	if ok && g.version != w.Version {
		r.stopLocked(w.Pipeline)
		ok = false
	}
	if !ok {
		img, err := r.image(ctx, w.Pipeline, w.Image, w.PullSecrets)
		if err != nil {
			return err
		}
		g = &group{version: w.Version, image: img}
	}
	if err := r.scale(ctx, g, w); err != nil {
		return err
	}
	r.groups[w.Pipeline] = g
	return g.err()
}

// Stop removes a pipeline's containers, including any a previous run of
// this instance left.
func (r *Runner) Stop(ctx context.Context, pipeline string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopLocked(pipeline)
	return r.sweep(ctx, labelPipeline+"="+pipeline)
}

func (r *Runner) stopLocked(pipeline string) {
	if g, ok := r.groups[pipeline]; ok {
		delete(r.groups, pipeline)
		stopSlots(g.slots)
	}
}

// Close removes every container of this instance.
func (r *Runner) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	r.endPulls()
	r.pullsDone.Wait()
	for p := range r.groups {
		r.stopLocked(p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), removeTimeout)
	defer cancel()
	err := r.sweep(ctx)
	r.eng.Close()
	return err
}

// sweep removes this instance's containers that also carry the labels
// ("key=value"): those left by a previous run, or that a supervisor could
// not remove.
func (r *Runner) sweep(ctx context.Context, labels ...string) error {
	cs, err := r.eng.List(ctx, append([]string{labelInstance + "=" + r.opts.Instance}, labels...)...)
	if err != nil {
		return fmt.Errorf("list worker containers: %w", err)
	}
	var errs []error
	for _, c := range cs {
		if err := r.eng.Remove(ctx, c.ID); err != nil {
			errs = append(errs, fmt.Errorf("remove container %s: %w", c.Labels[labelWorker], err))
			continue
		}
		r.log.Info("removed a leftover worker container", "worker", c.Labels[labelWorker], "container", c.ID[:12])
	}
	return errors.Join(errs...)
}

// RemoveDeadWorkers removes the worker containers of this runner's
// cluster that servers no longer alive started (alive says which are):
// a server that begins to lead calls it, since the containers of a
// leader that died run on without it, their tokens revoked and their
// server's socket gone. Containers of this server, of a server alive,
// or of another cluster are left alone.
func (r *Runner) RemoveDeadWorkers(ctx context.Context, alive func(server string) bool) error {
	if r.opts.Cluster == "" {
		return nil
	}
	cs, err := r.eng.List(ctx, labelCluster+"="+r.opts.Cluster)
	if err != nil {
		return fmt.Errorf("list the cluster's worker containers: %w", err)
	}
	var errs []error
	for _, c := range cs {
		server := c.Labels[labelServer]
		if server == r.opts.Server || alive(server) {
			continue
		}
		if err := r.eng.Remove(ctx, c.ID); err != nil {
			errs = append(errs, fmt.Errorf("remove container %s of server %s: %w", c.Labels[labelWorker], server, err))
			continue
		}
		r.log.Info("removed a worker container of a server that died", "worker", c.Labels[labelWorker], "server", server, "container", c.ID[:12])
	}
	return errors.Join(errs...)
}
