package scheduler

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// Servers sharing PostgreSQL tell each other what their waiters and the
// leader's scheduler must hear of at once (LISTEN/NOTIFY): new work for a
// pipeline's workers, which may wait in next on any server; changes of
// jobs, which watchers and WaitJob on any server follow; new log lines;
// and, for the leader, a pipeline to look at (it was created, updated,
// stopped, started or deleted, or a worker reported what may end its
// job). Signals are sent after the transaction that caused them, so the
// receiver reads what they are about. They are batched: while one
// notification is sent the next signals pile up, and each kind of signal
// about a pipeline is sent once per batch. On SQLite, which one server
// opens, nothing is sent.

// signalChannel is the PostgreSQL channel of pps signals.
const signalChannel = "tusk_pps_signals"

// maxSignalPayload keeps a notification under PostgreSQL's limit of 8000
// bytes.
const maxSignalPayload = 7000

// seenRelayEvery is how often a server that does not lead tells the
// leader that a pipeline's workers ask it for work (starts.go).
const seenRelayEvery = time.Second

// Kinds of relayed signals.
const (
	relayTasks = "tasks" // new work for the pipeline's workers
	relayJobs  = "jobs"  // a job changed
	relayLogs  = "logs"  // new log lines of the pipeline
	relayWake  = "wake"  // the leader's controller of the pipeline should look now
	relaySeen  = "seen"  // a worker of the pipeline asked for work
	relayInput = "input" // a datum of Job could not read its inputs: Reason
)

// relayed is one signal.
type relayed struct {
	Kind     string `json:"k"`
	Pipeline string `json:"p,omitempty"`
	Job      string `json:"j,omitempty"`
	Datum    string `json:"d,omitempty"`
	Reason   string `json:"r,omitempty"`
}

type relayBatch struct {
	Origin  string    `json:"o"`
	Signals []relayed `json:"s"`
}

// relay collects the signals to send.
type relay struct {
	on      bool // PostgreSQL: there are other servers to tell
	mu      sync.Mutex
	pending map[relayed]struct{}
	kick    chan struct{}
	seen    map[string]time.Time // per pipeline: when relaySeen was last sent
}

func newRelay(on bool) *relay {
	return &relay{on: on, pending: map[relayed]struct{}{}, kick: make(chan struct{}, 1), seen: map[string]time.Time{}}
}

// send queues a signal for the other servers.
func (r *relay) send(s relayed) {
	if !r.on {
		return
	}
	r.mu.Lock()
	r.pending[s] = struct{}{}
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// sendSeen queues a relaySeen of pipeline, at most every seenRelayEvery.
func (r *relay) sendSeen(pipeline string) {
	if !r.on {
		return
	}
	r.mu.Lock()
	due := time.Since(r.seen[pipeline]) >= seenRelayEvery
	if due {
		r.seen[pipeline] = time.Now()
	}
	r.mu.Unlock()
	if due {
		r.send(relayed{Kind: relaySeen, Pipeline: pipeline})
	}
}

// take returns the pending signals in notifications' payloads.
func (r *relay) take(origin string) []string {
	r.mu.Lock()
	sigs := make([]relayed, 0, len(r.pending))
	for s := range r.pending {
		sigs = append(sigs, s)
	}
	clear(r.pending)
	r.mu.Unlock()
	var out []string
	batch, size := relayBatch{Origin: origin}, 0
	flush := func() {
		if len(batch.Signals) == 0 {
			return
		}
		if b, err := json.Marshal(batch); err == nil {
			out = append(out, string(b))
		}
		batch.Signals, size = nil, 0
	}
	for _, s := range sigs {
		b, err := json.Marshal(s)
		if err != nil {
			continue
		}
		if size+len(b) > maxSignalPayload {
			flush()
		}
		batch.Signals, size = append(batch.Signals, s), size+len(b)+1
	}
	flush()
	return out
}

// RelaySignals sends this server's signals to the other servers sharing
// PostgreSQL, and acts on theirs, until ctx ends. On SQLite it returns at
// once.
func (s *Scheduler) RelaySignals(ctx context.Context) {
	if !s.relay.on {
		return
	}
	go s.sendSignals(ctx)
	s.db.Listen(ctx, signalChannel, s.resync, func(payload string) {
		var b relayBatch
		if json.Unmarshal([]byte(payload), &b) != nil || b.Origin == s.instance {
			return
		}
		for _, sig := range b.Signals {
			s.onRelayed(sig)
		}
	})
}

func (s *Scheduler) sendSignals(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.relay.kick:
		}
		for _, payload := range s.relay.take(s.instance) {
			if err := s.db.Notify(ctx, signalChannel, payload); err != nil && ctx.Err() == nil {
				s.log.Warn("tell the other servers of changes", "err", err)
			}
		}
	}
}

// resync acts as on every signal, when some may have been lost: waiters
// and watchers look again, and the leader's controllers too, and the
// leader starts those of pipelines made meanwhile.
func (s *Scheduler) resync() {
	s.tasks.fireAll()
	s.logs.fireAll()
	s.jobs.fireAll()
	s.mu.Lock()
	if ctx := s.runCtx; ctx != nil {
		s.running.Go(func() {
			if err := s.startControllers(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("look for new pipelines", "err", err)
			}
		})
	}
	s.mu.Unlock()
	s.wakeAll()
}

// onRelayed acts on another server's signal as on this server's own,
// without sending it on.
func (s *Scheduler) onRelayed(sig relayed) {
	switch sig.Kind {
	case relayTasks:
		s.tasks.fire(sig.Pipeline)
	case relayJobs:
		s.jobs.fire("")
	case relayLogs:
		s.logs.fire(sig.Pipeline)
	case relayWake:
		s.startController(sig.Pipeline)
		s.wakeHere(sig.Pipeline)
	case relaySeen:
		s.seeWorker(sig.Pipeline)
	case relayInput:
		s.noteInputFailureHere(sig.Job, sig.Datum, sig.Reason)
		s.wakeHere(sig.Pipeline)
	}
}
