package pps

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pfs"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/runner"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Options tune an API.
type Options struct {
	Logger *slog.Logger
	// LeaseTTL bounds how long a worker may go without a heartbeat before
	// its datum is given to another worker.
	LeaseTTL time.Duration
	// EgressDirs are the directories file:// egress may write under.
	EgressDirs []string
	// EgressBucket opens the targets of s3:// egress; without it, such
	// egress fails.
	EgressBucket OpenEgressBucket
	// WorkerStartTimeout is how long a running job waits for a first
	// worker of its pipeline before it fails (default
	// DefaultWorkerStartTimeout).
	WorkerStartTimeout time.Duration
	// Limits bound what specs may ask for; unset ones are the defaults.
	Limits Limits
	// Instance names this server among those sharing the metadata store
	// (the ID it leads and is alive by, meta.DB.Lead); default: made up.
	Instance string
}

// API is the pipeline system.
type API struct {
	db     *meta.DB
	pfs    *pfs.API
	runner runner.Runner
	log    *slog.Logger
	lease  time.Duration
	egress []string
	// openBucket opens the targets of s3:// egress (egress.go).
	openBucket OpenEgressBucket
	limits     Limits
	// instance names this server; claims record it (giveBack).
	instance string
	relay    *relay // signals to the other servers (relay.go)

	mu      sync.Mutex
	runCtx  context.Context          // while Run runs: this server leads
	running sync.WaitGroup           // Run's controllers and cron
	wakers  map[string]chan struct{} // per pipeline: wake its controller
	tasks   *signals                 // per pipeline: new work for workers
	logs    *signals                 // per pipeline: new log lines
	jobs    *signals                 // any job changed
	logEnd  map[string]logEnd        // per pipeline, job and datum: where its log ends
	// workers is how many workers each pipeline was granted.
	workers map[string]int
	// lastCount is when each running job's datums were last counted.
	lastCount map[string]time.Time
	// Per pipeline: since when its running job waits for workers, and
	// when one of its workers last asked for work (starts.go).
	startTimeout time.Duration
	waits        map[string]workerWait
	seen         map[string]time.Time
	// inputFailures holds, per job, why its inputs could not be read
	// (inputs.go).
	inputFailures map[string]string
}

// New returns the pipeline system over a file system and a runner.
func New(db *meta.DB, fs *pfs.API, run runner.Runner, opts Options) *API {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = 30 * time.Second
	}
	if opts.WorkerStartTimeout <= 0 {
		opts.WorkerStartTimeout = DefaultWorkerStartTimeout
	}
	if opts.Instance == "" {
		opts.Instance = newSalt()
	}
	return &API{db: db, pfs: fs, runner: run, log: opts.Logger.WithGroup("pps"), lease: opts.LeaseTTL,
		egress: opts.EgressDirs, openBucket: opts.EgressBucket, limits: opts.Limits.orDefaults(), workers: map[string]int{}, wakers: map[string]chan struct{}{},
		tasks: newSignals(), logs: newSignals(), jobs: newSignals(), logEnd: map[string]logEnd{}, lastCount: map[string]time.Time{},
		startTimeout: opts.WorkerStartTimeout, waits: map[string]workerWait{}, seen: map[string]time.Time{},
		inputFailures: map[string]string{}, instance: opts.Instance, relay: newRelay(db.Dialect() == "postgres")}
}

const project = tusk.DefaultProject

func now() time.Time { return time.Now().UTC() }

// record is a pipeline as stored.
type record struct {
	tusk.PipelineInfo
}

func (r *record) spec() (*spec.Pipeline, error) {
	var p spec.Pipeline
	if err := json.Unmarshal(r.Spec, &p); err != nil {
		return nil, fmt.Errorf("pipeline %s: stored spec: %w", r.Name, err)
	}
	return &p, nil
}

func loadPipeline(ctx context.Context, tx *meta.Tx, name string) (*record, error) {
	b, err := tx.Pipeline(ctx, project, name)
	if err != nil {
		return nil, err
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("pipeline %s: %w", name, err)
	}
	return &r, nil
}

func storePipeline(ctx context.Context, tx *meta.Tx, r *record) error {
	b, err := marshalText(r)
	if err != nil {
		return err
	}
	return tx.PutPipeline(ctx, project, r.Name, b)
}

// marshalText encodes v as JSON without escaping <, > and &. Specs hold
// commands such as "echo hi >&2", and their stored JSON is what users see
// (inspect pipeline -o json, the console).
func marshalText(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// leading reports whether this server runs the scheduler (Run).
func (a *API) leading() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.runCtx != nil
}

// wake nudges a pipeline's controller, which runs on the leader.
func (a *API) wake(pipeline string) {
	if !a.wakeHere(pipeline) {
		a.relay.send(relayed{Kind: relayWake, Pipeline: pipeline})
	}
}

// wakeHere nudges a pipeline's controller if it runs on this server, and
// reports whether this server leads.
func (a *API) wakeHere(pipeline string) bool {
	a.mu.Lock()
	ch, leads := a.wakers[pipeline], a.runCtx != nil
	a.mu.Unlock()
	if ch != nil {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	return leads
}

func (a *API) taskSignal(pipeline string) <-chan struct{} { return a.tasks.wait(pipeline) }

func (a *API) signalTasks(pipeline string) {
	a.tasks.fire(pipeline)
	a.relay.send(relayed{Kind: relayTasks, Pipeline: pipeline})
}

// jobsChanged returns a channel closed at the next change of any job.
func (a *API) jobsChanged() <-chan struct{} { return a.jobs.wait("") }

func (a *API) signalJobs() {
	a.jobs.fire("")
	a.relay.send(relayed{Kind: relayJobs})
}
