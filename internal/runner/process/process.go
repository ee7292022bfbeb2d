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
// worker.IsInit).
package process

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/tuskdata/tusk/internal/proctree"
	"github.com/tuskdata/tusk/internal/runner"
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
}

type group struct {
	version, workers int
	cancel           context.CancelFunc
	wg               sync.WaitGroup
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

// Ensure starts the pipeline version's workers if they are not running.
func (r *Runner) Ensure(ctx context.Context, w runner.WorkerSpec) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if g, ok := r.groups[w.Pipeline]; ok {
		if g.version == w.Version && g.workers == w.Workers {
			return nil
		}
		r.stopLocked(w.Pipeline)
	}
	if !r.warned[w.Pipeline] {
		r.warned[w.Pipeline] = true
		r.log.Warn("the process runner does not apply transform.image or resource limits; the command runs with the host's tools",
			"pipeline", w.Pipeline, "image", w.Image)
	}
	gctx, cancel := context.WithCancel(context.Background())
	g := &group{version: w.Version, workers: w.Workers, cancel: cancel}
	for i := range w.Workers {
		id := fmt.Sprintf("%s-v%d-%d", w.Pipeline, w.Version, i)
		dir := filepath.Join(r.scratch, id)
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			r.supervise(gctx, w.Pipeline, id, dir)
		}()
	}
	r.groups[w.Pipeline] = g
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
	cmd.Env = append(hostEnv(), "TMPDIR="+tmp, runner.WorkerTokenEnv+"="+token)
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
	g.cancel()
	g.wg.Wait()
}

// Close ends every worker, all pipelines at once.
func (r *Runner) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, g := range r.groups {
		g.cancel()
	}
	for p, g := range r.groups {
		g.wg.Wait()
		delete(r.groups, p)
	}
	return nil
}
