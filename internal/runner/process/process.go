// Package process runs pipeline workers as local child processes, for
// machines without a container engine. The pipeline's image and resource
// limits are not applied (a warning says so once per pipeline). When Tusk
// runs as root, each worker gets a private mount namespace in which its
// scratch directory is bind-mounted at /pfs, so commands that name /pfs
// paths run unchanged; otherwise the datum directory is given in $PFS and
// the input variables point into it. Each worker gets a $TMPDIR of its own,
// removed when the worker exits, or at the next start if the runner dies
// first (RemoveLeftovers). Where the server may make cgroups (root, or a
// delegated cgroup), each worker runs in a cgroup of its own, killed with
// all it holds when the worker exits, so that a killed worker's datums
// leave nothing running; elsewhere the worker sees to that itself (see
// worker.IsInit). A supervisor per worker restarts it, after a growing
// delay, when it dies; scaling starts or ends only the difference. The
// runner passes the conformance suite of runners (runnertest).
package process

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/tuskdata/tusk/internal/proctree"
	"github.com/tuskdata/tusk/internal/runner"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Runner starts workers as processes of the tusk binary.
type Runner struct {
	exe     string // the tusk binary
	address string // where workers reach the server
	creds   runner.Credentials
	scratch string // parent of the workers' datum directories
	runAs   *syscall.Credential
	log     *slog.Logger

	// cgroups keeps each worker and all it starts in a cgroup, where this
	// process may make them, so that what the worker's datums started
	// ends when the worker does, killed or not.
	cgroups *proctree.Host

	mu     sync.Mutex
	groups map[string]*group
	warned map[string]bool
	closed bool
}

// group is the workers of a pipeline version: workers[i] runs worker i.
type group struct {
	version int
	workers []*supervisor
}

// supervisor is the goroutine that keeps one worker running.
type supervisor struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// stopAll ends the supervisors and their workers, all at once, and waits
// for them.
func stopAll(ss []*supervisor) {
	for _, s := range ss {
		s.cancel()
	}
	for _, s := range ss {
		<-s.done
	}
}

var _ runner.Runner = (*Runner)(nil)

// New returns a runner that starts `exe worker …` processes talking to the
// server at address, each with its own token from creds, with their datum
// directories under scratch. Their commands run as runAs (with its
// supplementary groups) where the spec's transform.user does not say, and
// never as root; nil runs them as this process's user, which is then all
// they may run as.
func New(exe, address string, creds runner.Credentials, scratch string, runAs *syscall.Credential, log *slog.Logger) *Runner {
	log = log.WithGroup("process-runner")
	return &Runner{exe: exe, address: address, creds: creds, scratch: scratch, runAs: runAs, log: log,
		cgroups: proctree.Open(log, proctree.CgroupV2, proctree.CgroupV1),
		groups:  map[string]*group{}, warned: map[string]bool{}}
}

// Name returns "process".
func (r *Runner) Name() string { return "process" }

// ServiceAddress is where a service's command listens: on the host.
func (r *Runner) ServiceAddress(w runner.WorkerSpec) string {
	return net.JoinHostPort("localhost", strconv.Itoa(w.Service.Port))
}

// Ensure makes the pipeline version's workers run: it replaces the
// workers of another version, and scaling starts or ends only the
// difference, so that the workers that stay keep their datums.
func (r *Runner) Ensure(ctx context.Context, w runner.WorkerSpec) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return errors.New("process runner: closed")
	}
	if s := w.Service; s != nil && (s.HostPort != s.Port || s.HostIP != "") {
		return fmt.Errorf("process runner: the service's command listens on the host itself, on port %d, and cannot be published "+
			"on another port or address (external_port %d, ip %q): set external_port to internal_port and leave ip out, "+
			"or run tusk up --runner docker", s.Port, s.HostPort, s.HostIP)
	}
	g, ok := r.groups[w.Pipeline]
	if ok && g.version != w.Version {
		r.stopLocked(w.Pipeline)
		ok = false
	}
	if !ok {
		if !r.warned[w.Pipeline] {
			r.warned[w.Pipeline] = true
			r.log.Warn("the process runner does not apply transform.image or resource limits; the command runs with the host's tools",
				"pipeline", w.Pipeline, "image", w.Image)
		}
		g = &group{version: w.Version}
		r.groups[w.Pipeline] = g
	}
	if n := max(w.Workers, 0); len(g.workers) > n {
		stopAll(g.workers[n:])
		g.workers = g.workers[:n]
	}
	for i := len(g.workers); i < w.Workers; i++ {
		id := fmt.Sprintf("%s-v%d-%d", w.Pipeline, w.Version, i)
		sctx, cancel := context.WithCancel(context.Background())
		s := &supervisor{cancel: cancel, done: make(chan struct{})}
		go func() {
			defer close(s.done)
			r.supervise(sctx, w.Pipeline, id, filepath.Join(r.scratch, id))
		}()
		g.workers = append(g.workers, s)
	}
	return nil
}

// supervise keeps one worker process running until ctx ends, restarting
// it (with a growing delay) when it dies.
func (r *Runner) supervise(ctx context.Context, pipeline, id, dir string) {
	backoff := time.Second
	for ctx.Err() == nil {
		start := time.Now()
		err := r.runWorker(ctx, pipeline, id, dir)
		if ctx.Err() != nil {
			return
		}
		r.log.Warn("worker exited; restarting", "worker", id, "err", err)
		if time.Since(start) > time.Minute {
			backoff = time.Second
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Minute)
	}
}

// runWorker runs one worker process until it exits or ctx ends, with a
// $TMPDIR of its own (see tempDir).
func (r *Runner) runWorker(ctx context.Context, pipeline, id, dir string) error {
	tmp, err := tempDir(dir)
	if err != nil {
		return err
	}
	defer removeTempDir(dir, tmp)
	token, err := r.creds.Issue(ctx, pipeline, id)
	if err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	defer func() {
		if err := r.creds.Revoke(context.WithoutCancel(ctx), token); err != nil {
			r.log.Warn("revoke a worker's token", "worker", id, "err", err)
		}
	}()
	args := []string{"worker", "--pipeline", pipeline, "--id", id, "--address", r.address, "--root", dir}
	cmd := exec.Command(r.exe, args...)
	cmd.Env = append(hostEnv(), "TMPDIR="+tmp, tusk.WorkerTokenEnv+"="+token)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	if os.Geteuid() == 0 {
		cmd.Args = append(cmd.Args, "--mount-pfs")
		cmd.SysProcAttr.Unshareflags = syscall.CLONE_NEWNS
	}
	if r.runAs != nil {
		cmd.Args = append(cmd.Args, "--run-as", fmt.Sprintf("%d:%d", r.runAs.Uid, r.runAs.Gid))
		for _, g := range r.runAs.Groups {
			cmd.Args = append(cmd.Args, "--group", strconv.FormatUint(uint64(g), 10))
		}
	}
	// A worker dies with the server (the tree's Pdeathsig): one that
	// outlived a killed server would pull work from the next one on the
	// same socket, unknown to it.
	tree, err := r.cgroups.New("worker-" + id)
	if err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	if err := tree.Start(cmd); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- tree.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			tree.Kill()
			<-done
		}
		return ctx.Err()
	}
}

// Stop ends a pipeline's workers.
func (r *Runner) Stop(ctx context.Context, pipeline string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopLocked(pipeline)
	return nil
}

func (r *Runner) stopLocked(pipeline string) {
	g, ok := r.groups[pipeline]
	if !ok {
		return
	}
	delete(r.groups, pipeline)
	stopAll(g.workers)
}

// Close ends every worker, all pipelines at once; Ensure then fails.
func (r *Runner) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	var all []*supervisor
	for p, g := range r.groups {
		all = append(all, g.workers...)
		delete(r.groups, p)
	}
	stopAll(all)
	return nil
}
