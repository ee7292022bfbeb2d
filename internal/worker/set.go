package worker

import (
	"context"
	"path/filepath"
	"sync"
	"time"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
)

// A datumSet is the datums a worker claimed together. It runs them one
// after the other, each with its own layout, command and result, but
// their leases are renewed by one heartbeat, their inputs come in few
// downloads, their outputs are staged by one upload (small files share
// chunks) and their results go back in one report.
type datumSet struct {
	w       *worker
	tasks   []tusk.Task
	logs    *logSink
	results []tusk.TaskResult // State is empty until datum i ends
	started []time.Time
	paths   map[string]string // programs found in $PATH

	ahead      map[int][]aheadFile // inputs of datums downloaded before their turn
	prefetched chan struct{}       // closed once the first download of ahead is over

	up    *client.Upload // of every datum's output; nil until the first
	upErr error          // why up could not be made
	ops   int            // operations added to up so far
	spans [][2]int       // datum i's operations are up's [spans[i][0], spans[i][1])

	stopBeat func()
	beatDone chan struct{}

	mu        sync.Mutex
	cancelled map[string]bool // datums the server took back
	current   int             // the datum in hand, or -1
	stop      func()          // ends the attempt of the datum in hand
}

// newSet starts work on a set: it renews the datums' leases until finish,
// and downloads in the background the inputs of as many datums as fit
// in memory.
func (w *worker) newSet(ctx context.Context, tasks []tusk.Task) *datumSet {
	s := &datumSet{w: w, tasks: tasks, logs: newLogSink(ctx, w), results: make([]tusk.TaskResult, len(tasks)),
		started: make([]time.Time, len(tasks)), paths: map[string]string{}, ahead: map[int][]aheadFile{}, prefetched: make(chan struct{}),
		spans: make([][2]int, len(tasks)), cancelled: map[string]bool{}, current: -1, stop: func() {},
		beatDone: make(chan struct{})}
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

// heartbeat renews the leases of the set's datums until ctx ends, and
// stops the attempts the server cancels.
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
		cancel, err := s.w.cfg.Client.Heartbeat(ctx, s.tasks, s.w.cfg.ID)
		if err != nil {
			continue
		}
		s.mu.Lock()
		for _, id := range cancel {
			if !s.cancelled[id] {
				s.w.log.Info("attempt cancelled by the server", "datum", id)
			}
			s.cancelled[id] = true
			if s.current >= 0 && s.tasks[s.current].Datum == id {
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
	s.started[i] = time.Now().UTC()
	return actx, true
}

// end records the result of datum i's attempt; a failure's reason goes to
// the datum's logs too.
func (s *datumSet) end(i int, state, reason string) {
	s.mu.Lock()
	s.stop()
	s.current, s.stop = -1, func() {}
	s.mu.Unlock()
	t := &s.tasks[i]
	finished := time.Now().UTC()
	s.results[i] = tusk.TaskResult{Pipeline: t.Pipeline, Job: t.Job, Datum: t.Datum, Attempt: t.Attempt,
		Worker: s.w.cfg.ID, ImageID: s.w.cfg.ImageID, State: state, Reason: reason, Started: &s.started[i], Finished: &finished}
	if state == tusk.DatumFailed {
		s.logs.note(t, reason)
	}
}

// collect adds the output of datum i, laid out under the root, to the
// set's upload.
func (s *datumSet) collect(ctx context.Context, i int) error {
	if s.up == nil && s.upErr == nil {
		s.up, s.upErr = s.w.cfg.Client.NewUpload(ctx)
	}
	if s.upErr != nil {
		return s.upErr
	}
	c := &countingUploader{up: s.up}
	err := s.w.walkOut(c, &s.tasks[i], filepath.Join(s.w.cfg.Root, "out"), "/", 0)
	s.spans[i] = [2]int{s.ops, s.ops + c.n}
	s.ops += c.n
	return err
}

// finish ends the set: it sends the datums' logs, stages their outputs and
// reports every result in one request. Datums that did not get their turn (the worker is stopping,
// or a batching command exited) go back to the queue; those the server
// cancelled are left out.
func (s *datumSet) finish(ctx context.Context) {
	defer func() {
		s.stopBeat()
		<-s.beatDone
	}()
	<-s.prefetched
	stopping := ctx.Err() != nil
	rctx := context.WithoutCancel(ctx)
	if stopping {
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeout(rctx, 5*time.Second)
		defer cancel()
	}
	var ops []tusk.FileOp
	var upErr error
	if s.up != nil {
		if stopping {
			s.up.Abort()
		} else {
			ops, upErr = s.up.Stage()
		}
	}
	results := make([]tusk.TaskResult, 0, len(s.tasks))
	for i, res := range s.results {
		t := &s.tasks[i]
		switch {
		case stopping || res.State == "" && !s.cancelled[t.Datum]:
			res = tusk.TaskResult{Pipeline: t.Pipeline, Job: t.Job, Datum: t.Datum, Attempt: t.Attempt, Worker: s.w.cfg.ID,
				State: tusk.DatumQueued, Reason: "given back by worker " + s.w.cfg.ID + " before its turn"}
		case res.State == "":
			continue
		case res.State == tusk.DatumSuccess && upErr != nil:
			res.State, res.Reason = tusk.DatumFailed, "upload output: "+upErr.Error()
			s.logs.note(t, res.Reason)
		case res.State == tusk.DatumSuccess:
			res.Outputs = ops[s.spans[i][0]:s.spans[i][1]]
		}
		results = append(results, res)
	}
	s.logs.close()
	if err := s.w.cfg.Client.Done(rctx, results); err != nil {
		s.w.log.Error("report datums", "datums", len(results), "err", err)
	}
}
