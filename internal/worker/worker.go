package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tuskdata/tusk/internal/client"
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
	Root    string
	ImageID string
	// UserApplied says the container already runs as transform.user, so
	// the worker must not switch users itself.
	UserApplied bool
	Logger      *slog.Logger
}

// Run processes datums until ctx ends.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := os.MkdirAll(cfg.Root, 0o755); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	w := &worker{cfg: cfg, log: cfg.Logger.With("pipeline", cfg.Pipeline, "worker", cfg.ID), bin: binDir()}
	w.log.Info("worker started", "root", cfg.Root)
	for {
		task, err := w.next(ctx)
		if err != nil || task == nil {
			return err
		}
		if task.DatumBatching {
			w.batch(ctx, task)
			continue
		}
		res := w.process(ctx, task)
		if err := cfg.Client.Done(ctx, res); err != nil && ctx.Err() == nil {
			w.log.Error("report datum", "datum", task.Datum, "err", err)
		}
	}
}

// next waits for the next datum to process; it returns nil when ctx ends.
func (w *worker) next(ctx context.Context) (*tusk.Task, error) {
	backoff := time.Second
	for ctx.Err() == nil {
		task, err := w.cfg.Client.NextTask(ctx, w.cfg.Pipeline, w.cfg.ID, 30*time.Second)
		if err == nil && task != nil {
			return task, nil
		}
		if err == nil || ctx.Err() != nil {
			continue
		}
		if tusk.KindOf(err) == tusk.KindNotFound {
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
	cfg  Config
	log  *slog.Logger
	bin  string // directory with the shim as tusk and pachctl, put first on PATH
	lazy lazyFiles
}

// process runs one datum attempt and returns its result.
func (w *worker) process(ctx context.Context, t *tusk.Task) tusk.TaskResult {
	res := tusk.TaskResult{Pipeline: t.Pipeline, Job: t.Job, Datum: t.Datum, Attempt: t.Attempt, Worker: w.cfg.ID, ImageID: w.cfg.ImageID}
	fail := func(format string, args ...any) tusk.TaskResult {
		res.State, res.Reason = tusk.DatumFailed, fmt.Sprintf(format, args...)
		w.userLog(ctx, t, false, res.Reason)
		return res
	}
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	go w.heartbeat(actx, cancel, t)
	if err := w.clean(); err != nil {
		return fail("prepare %s: %v", w.cfg.Root, err)
	}
	if err := w.download(actx, t); err != nil {
		return fail("download inputs: %v", err)
	}
	code, err := w.run(actx, t, t.Cmd, t.Stdin)
	if err == nil && accepted(code, t.AcceptReturnCode) {
		ops, err := w.upload(actx, t)
		if err != nil {
			return fail("upload output: %v", err)
		}
		res.State, res.Outputs = tusk.DatumSuccess, ops
		return res
	}
	reason := fmt.Sprintf("command exited with code %d", code)
	if err != nil {
		reason = err.Error()
	}
	if actx.Err() != nil && ctx.Err() == nil {
		reason = "attempt cancelled (job stopped, datum restarted or lease lost)"
	}
	if len(t.ErrCmd) > 0 && actx.Err() == nil {
		if code, err := w.run(actx, t, t.ErrCmd, t.ErrStdin); err == nil && code == 0 {
			res.State, res.Reason = tusk.DatumRecovered, reason+"; err_cmd recovered it"
			return res
		}
	}
	return fail("%s", reason)
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

// heartbeat renews the datum's lease until ctx ends, and cancels the
// attempt when the server says so.
func (w *worker) heartbeat(ctx context.Context, cancel func(), t *tusk.Task) {
	every := time.Duration(max(t.LeaseSeconds, 3)) * time.Second / 3
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		stop, err := w.cfg.Client.Heartbeat(ctx, t, w.cfg.ID)
		if err == nil && stop {
			w.log.Info("attempt cancelled by the server", "datum", t.Datum)
			cancel()
			return
		}
	}
}

// clean empties the datum root (inputs, output) between datums; anything
// else (/tmp, ...) persists, as in Pachyderm.
func (w *worker) clean() error {
	w.lazy.release()
	entries, err := os.ReadDir(w.cfg.Root)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		p := filepath.Join(w.cfg.Root, e.Name())
		errs = append(errs, os.RemoveAll(p))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return os.MkdirAll(filepath.Join(w.cfg.Root, "out"), 0o777)
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
