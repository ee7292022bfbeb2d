// Package external is the runner of a server whose pipeline workers are
// started outside it: `tusk worker` processes on other hosts, started by
// their operator or an orchestrator, each with a token from `tusk auth
// get-worker-token`, dialling the server's API (over TLS beyond
// loopback). It starts and stops nothing; the server needs no way to
// reach the workers, and jobs wait for them to ask for work.
package external

import (
	"context"
	"log/slog"
	"sync"

	"github.com/tuskdata/tusk/internal/runner"
)

// Runner starts no workers: it tells the log, once per pipeline version,
// how to start them.
type Runner struct {
	log *slog.Logger

	mu   sync.Mutex
	told map[string]int // pipeline → version told about
}

// New returns a runner that logs to log.
func New(log *slog.Logger) *Runner {
	return &Runner{log: log, told: map[string]int{}}
}

// Name is "external".
func (r *Runner) Name() string { return "external" }

// Ensure logs how to start the workers of a pipeline version the first
// time it is asked for some.
func (r *Runner) Ensure(_ context.Context, w runner.WorkerSpec) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w.Workers <= 0 || r.told[w.Pipeline] == w.Version {
		// An idle pipeline's workers have nothing to do: nothing to tell.
		return nil
	}
	r.told[w.Pipeline] = w.Version
	r.log.Info("pipeline waits for workers started outside tusk: run tusk worker --pipeline "+w.Pipeline+
		" with $TUSK_WORKER_TOKEN from tusk auth get-worker-token "+w.Pipeline,
		"pipeline", w.Pipeline, "version", w.Version, "workers", w.Workers)
	return nil
}

// Stop forgets a pipeline; its workers stop once the server no longer
// has work of it for them.
func (r *Runner) Stop(_ context.Context, pipeline string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.told, pipeline)
	return nil
}

// Close does nothing: the runner started nothing.
func (r *Runner) Close() error { return nil }
