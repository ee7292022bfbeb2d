package worker

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

// A datumSet is the datums a worker claimed together. It runs them one
// after the other, each with its own layout, command and result, but
// their leases are renewed by one heartbeat and their inputs come in few
// downloads; their starts and ends go to the worker's reporter, which
// sends them as they come, few at a time.
type datumSet struct {
	w       *worker
	tasks   []tusk.Task
	logs    *logSink
	results []tusk.TaskResult // State is empty until datum i ends
	started []time.Time
	paths   map[string]string // programs found in $PATH

	ahead      map[int][]aheadFile // inputs of datums downloaded before their turn
	prefetched chan struct{}       // closed once the first download of ahead is over

	group *group // that takes the next ends (guarded by the reporter's mutex)

	stopBeat func()
	beatDone chan struct{}

	mu        sync.Mutex
	cancelled map[string]bool // datums the server took back
	settled   []bool          // datum i's end was reported
	current   int             // the datum in hand, or -1
	stop      func()          // ends the attempt of the datum in hand
}

// newSet starts work on a set: it renews the datums' leases until finish,
// and downloads in the background the inputs of as many datums as fit
// in memory.
func (w *worker) newSet(ctx context.Context, tasks []tusk.Task) *datumSet {
	s := &datumSet{w: w, tasks: tasks, logs: newLogSink(ctx, w), results: make([]tusk.TaskResult, len(tasks)),
		started: make([]time.Time, len(tasks)), paths: map[string]string{}, ahead: map[int][]aheadFile{}, prefetched: make(chan struct{}),
		cancelled: map[string]bool{}, settled: make([]bool, len(tasks)), current: -1, stop: func() {}, beatDone: make(chan struct{})}
	bctx, cancel := context.WithCancel(ctx)
	s.stopBeat = cancel
	go s.heartbeat(bctx)
	go func() {
		defer close(s.prefetched)
		if _, err := s.fetch(ctx, 0, false); err != nil && ctx.Err() == nil {
			w.log.Warn("download datum inputs ahead", "err", err)
		}
	}()
	return s
}

// heartbeat renews the leases of the set's datums not yet reported until
// ctx ends, and stops the attempts the server cancels.
func (s *datumSet) heartbeat(ctx context.Context) {
	defer close(s.beatDone)
	every := time.Duration(max(s.tasks[0].LeaseSeconds, 3)) * time.Second / 3
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		var tasks []tusk.Task
		s.mu.Lock()
		for i, t := range s.tasks {
			if !s.settled[i] {
				tasks = append(tasks, t)
			}
		}
		s.mu.Unlock()
		if len(tasks) == 0 {
			continue
		}
		cancel, err := s.w.cfg.Client.Heartbeat(ctx, tasks, s.w.cfg.ID)
		if err != nil {
			continue
		}
		s.mu.Lock()
		for _, id := range cancel {
			i := slices.IndexFunc(s.tasks, func(t tusk.Task) bool { return t.Datum == id })
			if i < 0 || s.settled[i] {
				continue // reported meanwhile
			}
			if !s.cancelled[id] {
				s.w.log.Info("attempt cancelled by the server", "datum", id)
			}
			s.cancelled[id] = true
			if s.current == i {
				s.stop()
			}
		}
		s.mu.Unlock()
	}
}

// start begins the attempt of datum i and returns its context, which ends
// when the server cancels the attempt; it returns false if the server
// already did.
func (s *datumSet) start(ctx context.Context, i int) (context.Context, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancelled[s.tasks[i].Datum] {
		return nil, false
	}
	actx, cancel := context.WithCancel(ctx)
	s.current, s.stop = i, cancel
	return actx, true
}

// running tells the server that the command of datum i starts now: the
// datum is RUNNING from then on (it was STARTING since its claim).
func (s *datumSet) running(i int) {
	t := &s.tasks[i]
	s.started[i] = time.Now().UTC()
	s.w.rep.started(tusk.TaskResult{Pipeline: t.Pipeline, Job: t.Job, Datum: t.Datum, Claim: t.Claim, Worker: s.w.cfg.ID,
		State: tusk.DatumRunning, Started: &s.started[i]})
}

// end records the result of datum i's attempt and queues its report; a
// failure's reason goes to the datum's logs too.
func (s *datumSet) end(i int, state, reason string) {
	s.endWith(i, state, reason, false)
}

// endWith is end, with inputErr saying that the datum failed because the
// server could not read its inputs.
func (s *datumSet) endWith(i int, state, reason string, inputErr bool) {
	s.mu.Lock()
	if s.current == i {
		s.stop()
		s.current, s.stop = -1, func() {}
	}
	s.mu.Unlock()
	t := &s.tasks[i]
	res := tusk.TaskResult{Pipeline: t.Pipeline, Job: t.Job, Datum: t.Datum, Claim: t.Claim,
		Worker: s.w.cfg.ID, ImageID: s.w.cfg.ImageID, ImageDigest: s.w.cfg.ImageDigest, State: state, Reason: reason, InputError: inputErr}
	if !s.started[i].IsZero() {
		finished := time.Now().UTC()
		res.Started, res.Finished = &s.started[i], &finished
	}
	s.results[i] = res
	if state == tusk.DatumFailed {
		s.logs.note(t, reason)
	}
	s.w.rep.ended(s, i)
}

// collect adds the output of datum i, laid out under the root, to what
// the reporter uploads with its result.
func (s *datumSet) collect(i int) error {
	lay := &s.w.lay
	lay.out = lay.out[:0]
	err := s.w.rep.collect(s, i)
	lay.walked = err == nil
	return err
}

// settle records that the ends of datums were reported.
func (s *datumSet) settle(ends []int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, i := range ends {
		s.settled[i] = true
	}
}

// finish ends the set: datums that did not get their turn (the worker is
// stopping, or a batching command exited) go back to the queue, at no
// cost to their tries; those the server cancelled are left out. It
// returns once every end of the set was reported and its logs sent.
func (s *datumSet) finish() {
	<-s.prefetched
	for i, t := range s.tasks {
		s.mu.Lock()
		left := s.results[i].State == "" && !s.cancelled[t.Datum]
		s.mu.Unlock()
		if left {
			s.end(i, tusk.DatumQueued, "given back by worker "+s.w.cfg.ID+" before its turn")
		}
	}
	<-s.w.rep.sent()
	s.logs.close()
	s.stopBeat()
	<-s.beatDone
}
