package scheduler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pfs"
	"github.com/tuskdata/tusk/internal/pps"
	"github.com/tuskdata/tusk/internal/runner"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Runner starts and stops the workers of pipelines (runner.Runner).
type Runner interface {
	// Ensure runs the workers spec asks for.
	Ensure(ctx context.Context, spec runner.WorkerSpec) error
	// Stop removes the workers of a pipeline.
	Stop(ctx context.Context, pipeline string) error
}

// Options tune a Scheduler.
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
	// Limits bound the datums of a job and the workers of pipelines;
	// unset ones are the defaults.
	Limits pps.Limits
	// Instance names this server among those sharing the metadata store
	// (the ID it leads and is alive by, meta.DB.Lead); default: made up.
	Instance string
}

// Scheduler runs the pipelines' jobs.
type Scheduler struct {
	db     *meta.DB
	pfs    *pfs.API
	runner Runner
	log    *slog.Logger
	lease  time.Duration
	egress []string
	// openBucket opens the targets of s3:// egress (egress.go).
	openBucket OpenEgressBucket
	limits     pps.Limits
	// instance names this server; claims record it (giveBack).
	instance string
	relay    *relay // signals to the other servers (relay.go)
	cursors  *claimCursors

	mu      sync.Mutex
	runCtx  context.Context          // while Run runs: this server leads
	running sync.WaitGroup           // Run's controllers and cron
	wakers  map[string]chan struct{} // per pipeline: wake its controller
	tasks   *signals                 // per pipeline: new work for workers
	logs    *signals                 // per pipeline: new log lines
	jobs    *signals                 // any job changed
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

// New returns a scheduler of the pipelines recorded in db, over a file
// system, whose workers run starts and stops.
func New(db *meta.DB, fs *pfs.API, run Runner, opts Options) *Scheduler {
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
		b := make([]byte, 16)
		rand.Read(b)
		opts.Instance = hex.EncodeToString(b)
	}
	return &Scheduler{db: db, pfs: fs, runner: run, log: opts.Logger.WithGroup("pps"), lease: opts.LeaseTTL,
		egress: opts.EgressDirs, openBucket: opts.EgressBucket, limits: opts.Limits.OrDefaults(), workers: map[string]int{}, wakers: map[string]chan struct{}{},
		tasks: newSignals(), logs: newSignals(), jobs: newSignals(), lastCount: map[string]time.Time{},
		startTimeout: opts.WorkerStartTimeout, waits: map[string]workerWait{}, seen: map[string]time.Time{},
		inputFailures: map[string]string{}, instance: opts.Instance, relay: newRelay(db.Dialect() == "postgres"),
		cursors: newClaimCursors()}
}

const project = tusk.DefaultProject

func now() time.Time { return time.Now().UTC() }

// leading reports whether this server runs the scheduler (Run).
func (s *Scheduler) leading() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runCtx != nil
}

// PipelineChanged has the controller of a pipeline that was created,
// updated, stopped or started look at it now: here, starting it if this
// server leads and it has none, else on the leader.
func (s *Scheduler) PipelineChanged(pipeline string) {
	s.startController(pipeline)
	s.wake(pipeline)
}

// PipelineDeleted forgets the controller of a deleted pipeline, and wakes
// the leader's, which stops its workers.
func (s *Scheduler) PipelineDeleted(pipeline string) {
	s.stopController(pipeline)
	s.cursors.forget(pipeline)
	s.wake(pipeline)
}

// wake nudges a pipeline's controller, which runs on the leader.
func (s *Scheduler) wake(pipeline string) {
	if !s.wakeHere(pipeline) {
		s.relay.send(relayed{Kind: relayWake, Pipeline: pipeline})
	}
}

// wakeHere nudges a pipeline's controller if it runs on this server, and
// reports whether this server leads.
func (s *Scheduler) wakeHere(pipeline string) bool {
	s.mu.Lock()
	ch, leads := s.wakers[pipeline], s.runCtx != nil
	s.mu.Unlock()
	if ch != nil {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	return leads
}

func (s *Scheduler) taskSignal(pipeline string) <-chan struct{} { return s.tasks.wait(pipeline) }

func (s *Scheduler) signalTasks(pipeline string) {
	s.tasks.fire(pipeline)
	s.relay.send(relayed{Kind: relayTasks, Pipeline: pipeline})
}

// JobsChanged returns a channel closed at the next change of any job.
func (s *Scheduler) JobsChanged() <-chan struct{} { return s.jobs.wait("") }

func (s *Scheduler) signalJobs() {
	s.jobs.fire("")
	s.relay.send(relayed{Kind: relayJobs})
}

// LogsChanged returns a channel closed when a pipeline gets new log
// lines (SignalLogs), for following logs without polling.
func (s *Scheduler) LogsChanged(pipeline string) <-chan struct{} { return s.logs.wait(pipeline) }

// SignalLogs says that a pipeline has new log lines, to this server's
// followers of its logs and the other servers'.
func (s *Scheduler) SignalLogs(pipeline string) {
	s.logs.fire(pipeline)
	s.relay.send(relayed{Kind: relayLogs, Pipeline: pipeline})
}
