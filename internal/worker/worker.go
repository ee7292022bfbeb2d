package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/proctree"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Config says which pipeline a worker serves and where it lays out data.
type Config struct {
	Client   *client.Client
	Pipeline string
	ID       string
	// Root is where datums are laid out: "/pfs" in a container or a
	// private mount namespace, else a scratch directory (given to user
	// code as $PFS).
	Root string
	// ImageID and ImageDigest are recorded with each datum: the ID of
	// the image the worker runs in and, where it came from a registry,
	// its registry reference ("host/name@sha256:…").
	ImageID, ImageDigest string
	// UserApplied says the container already runs as transform.user, so
	// the worker must not switch users itself.
	UserApplied bool
	// RunAs is who commands run as when the spec's transform.user does not
	// say, nil for the worker itself; its Groups are given to every
	// command, transform.user's too (the group of the worker socket). Set,
	// it forbids root as transform.user: the process runner sets it when
	// it runs as root.
	RunAs *syscall.Credential
	// Subreaper lets the worker make its process a child subreaper, where
	// it has neither cgroups nor PID namespaces to keep its datums'
	// processes together: a property of the whole process, for a process
	// that is a worker and nothing else, as `tusk worker` is.
	Subreaper bool
	// CLIEnv points `tusk` (and `pachctl`) at the server as this worker
	// ($TUSK_ADDRESS, $TUSK_TOKEN, how to trust the server): a spout's
	// command gets it, to write its output repo.
	CLIEnv []string
	// Token is the worker's token ($TUSK_WORKER_TOKEN), the access key
	// and secret key of its S3 endpoint (see s3.go); "" with
	// authentication off.
	Token  string
	Logger *slog.Logger
}

// Run processes datums, or runs a spout, until ctx ends.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := os.MkdirAll(cfg.Root, 0o755); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	root, err := os.OpenRoot(cfg.Root)
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	defer root.Close()
	devNull, err := os.Open(os.DevNull)
	if err == nil {
		defer devNull.Close()
	}
	bin, removeBin := binDir()
	defer removeBin()
	w := &worker{cfg: cfg, log: cfg.Logger.With("pipeline", cfg.Pipeline, "worker", cfg.ID), bin: bin,
		root: root, rootPaths: rootPaths(cfg.Root), rootOurs: rootIsOurs(cfg.Root), devNull: devNull}
	defer w.users.removeHomes()
	w.s3.w = w
	defer w.s3.close()
	w.rep = newReporter(ctx, w)
	modes := []proctree.Mode{proctree.CgroupV2, proctree.CgroupV1, proctree.PIDNamespace}
	if cfg.Subreaper {
		modes = append(modes, proctree.Subreaper)
	}
	w.procs = proctree.Open(w.log, modes...)
	// A datum's cgroup is the next one's, unless something of it was left.
	w.procs.Recycle()
	defer w.procs.Close()
	if w.procs.Mode() == proctree.ProcessGroup {
		w.log.Warn("a process a datum starts in a new session (setsid) can outlive the datum: run the worker as root, in a cgroup it may write, or as its own process")
	}
	w.log.Info("worker started", "root", cfg.Root)
	var finishing sync.WaitGroup
	tasks, err := w.next(ctx)
	if len(tasks) > 0 && tasks[0].Spout {
		w.spout(ctx, &tasks[0])
		w.rep.close()
		return nil
	}
	var s *datumSet
	if tasks != nil {
		s = w.newSet(ctx, tasks)
	}
	for s != nil {
		if s.tasks[0].DatumBatching {
			finishing.Wait()
			w.batch(ctx, s)
			s, err = w.claim(ctx)
			continue
		}
		s, err = w.runSet(ctx, s, &finishing)
	}
	finishing.Wait()
	w.rep.close()
	return err
}

// claim waits for the next set of datums and starts work on it (see
// newSet); it returns nil when ctx ends.
func (w *worker) claim(ctx context.Context) (*datumSet, error) {
	tasks, err := w.next(ctx)
	if tasks == nil {
		return nil, err
	}
	return w.newSet(ctx, tasks), nil
}

// RequestTimeout bounds the wait for the server's answer to a worker's
// request (beyond a claim's wait): a server that stalls, or is cut off
// without a word, never answers, and the worker would wait for it as long
// as TCP does, for minutes, holding its datums, whose leases its
// heartbeats, through another server, renew. The client then moves on to
// the next server, if it was given several (see client.ResponseTimeout,
// which `tusk worker` sets to it).
const RequestTimeout = 10 * time.Second

// nextWait is how long a claim waits for work: a claim that gets no
// answer within it and RequestTimeout is given up, and the next goes to
// the next server.
const nextWait = 10 * time.Second

// next waits for the next set of datums to process; it returns nil when
// ctx ends.
func (w *worker) next(ctx context.Context) ([]tusk.Task, error) {
	backoff := time.Second
	for ctx.Err() == nil {
		rctx, cancel := context.WithTimeout(ctx, nextWait+RequestTimeout)
		tasks, err := w.cfg.Client.NextTasks(rctx, w.cfg.Pipeline, w.cfg.ID, nextWait)
		cancel()
		if err == nil && len(tasks) > 0 {
			return tasks, nil
		}
		if err == nil || ctx.Err() != nil {
			continue
		}
		switch tusk.KindOf(err) {
		case tusk.KindNotFound, tusk.KindUnauthenticated, tusk.KindForbidden:
			// No pipeline, or no right to its work: waiting will not help.
			return nil, fmt.Errorf("worker: %w", err)
		}
		w.log.Warn("ask for work", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
	return nil, nil
}

type worker struct {
	cfg Config
	log *slog.Logger
	bin string // directory with the shim as tusk and pachctl, put first on PATH
	// root is the datum root, through which the output is read (see
	// walkOut); rootPaths are the absolute paths that name it.
	root      *os.Root
	rootPaths []string
	rootOurs  bool   // see rootIsOurs
	lay       layout // what the root holds
	devNull   *os.File
	users     users // who commands run as, when not as the worker
	lazy      lazyFiles
	s3        s3Endpoint // the S3 inputs and output of the datum in hand
	rep       *reporter
	procs     *proctree.Host // where each command runs as a tree that ends with it
}

// runSet processes the datums of a set one after the other. So that the
// worker does not wait between sets, it claims the next set halfway
// through, and finishes this one in the background (finishing counts it).
// It returns the next set, nil when ctx ends.
func (w *worker) runSet(ctx context.Context, s *datumSet, finishing *sync.WaitGroup) (*datumSet, error) {
	type claim struct {
		s   *datumSet
		err error
	}
	claimed := make(chan claim, 1)
	ask := sync.OnceFunc(func() {
		go func() {
			s, err := w.claim(ctx)
			claimed <- claim{s, err}
		}()
	})
	for i := range s.tasks {
		if i >= len(s.tasks)/2 {
			ask()
		}
		if ctx.Err() != nil {
			break
		}
		s.process(ctx, i)
	}
	ask()
	finishing.Go(s.finish)
	c := <-claimed
	return c.s, c.err
}

// process runs datum i of the set: its command, then, if that fails, its
// err_cmd. Only a failure of the command counts as a failed attempt: a
// datum in hand when the worker stops is given back.
func (s *datumSet) process(ctx context.Context, i int) {
	t := &s.tasks[i]
	actx, ok := s.start(ctx, i)
	if !ok {
		return // cancelled by the server before its turn
	}
	if err := s.layOut(actx, i); err != nil {
		s.endEarly(ctx, i, err)
		return
	}
	s.running(i)
	code, err := s.run(actx, t, t.Cmd, t.Stdin)
	if err == nil && accepted(code, t.AcceptReturnCode) {
		if err := s.collect(i); err != nil {
			s.failOrGiveBack(i, "upload output", err)
			return
		}
		s.end(i, tusk.DatumSuccess, "")
		return
	}
	if ctx.Err() != nil {
		s.end(i, tusk.DatumQueued, "given back by worker "+s.w.cfg.ID+", which is stopping")
		return
	}
	reason := fmt.Sprintf("command exited with code %d", code)
	if err != nil {
		reason = err.Error()
	}
	if actx.Err() != nil {
		reason = "attempt cancelled (job stopped, datum restarted or lease lost)"
	}
	if len(t.ErrCmd) > 0 && actx.Err() == nil {
		if code, err := s.run(actx, t, t.ErrCmd, t.ErrStdin); err == nil && code == 0 {
			s.end(i, tusk.DatumRecovered, reason+"; err_cmd recovered it")
			return
		}
	}
	s.end(i, tusk.DatumFailed, reason)
}

// endEarly ends the attempt of datum i, whose inputs could not be laid
// out: given back if the worker is stopping or lost the server, else
// failed, and marked so if the server could not read them.
func (s *datumSet) endEarly(ctx context.Context, i int, err error) {
	if ctx.Err() != nil {
		s.end(i, tusk.DatumQueued, "given back by worker "+s.w.cfg.ID+", which is stopping")
		return
	}
	if serverLost(err) {
		s.failOrGiveBack(i, "lay out inputs", err)
		return
	}
	var ie *inputError
	s.endWith(i, tusk.DatumFailed, err.Error(), errors.As(err, &ie) || tusk.KindOf(err) == tusk.KindNotFound)
}

func accepted(code int, extra []int64) bool {
	if code == 0 {
		return true
	}
	for _, c := range extra {
		if int64(code) == c {
			return true
		}
	}
	return false
}

// env returns the command's environment: the worker's own, the task's
// with /pfs rewritten to the root, and $PFS.
func (w *worker) env(t *tusk.Task) []string {
	env := withPath(os.Environ(), w.bin)
	for _, kv := range t.Env {
		if w.cfg.Root != "/pfs" {
			if k, v, ok := strings.Cut(kv, "="); ok && (v == "/pfs" || strings.HasPrefix(v, "/pfs/")) {
				kv = k + "=" + w.cfg.Root + strings.TrimPrefix(v, "/pfs")
			}
		}
		env = append(env, kv)
	}
	return append(env, "PFS="+w.cfg.Root)
}
