package worker

import (
	"context"
	"sync"
	"time"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
)

// stopGrace bounds the last reports of a worker that is stopping: the
// runners kill a worker 5 s after asking it to stop.
const stopGrace = 4 * time.Second

// A reporter sends a worker's reports to the server, in order and in the
// background: the start of each datum's command, and the end of each
// attempt with its output. Whatever piles up while one request is in
// flight goes in the next, so that small datums share requests (and their
// outputs share chunks), while a datum that took long is reported as
// soon as it ends: a worker killed mid-set loses the datum in hand, not
// those it finished. The server attaches an output only if its attempt is
// still current, so a datum that runs twice lands once.
//
// Order is what keeps the states true: a datum's end is sent before the
// next one's start, so that a worker never has two datums RUNNING.
//
// A start is queued only once the command has run for startDelay: a datum
// that ends sooner is reported once, its end carrying its start time, so
// that short datums cost the server one report each, not two.
type reporter struct {
	w      *worker
	ctx    context.Context // of the worker; its end is a stop
	mu     sync.Mutex
	cond   *sync.Cond
	queue  []*report
	starts map[string]*time.Timer // by datum: starts waiting out startDelay
	closed bool
	done   chan struct{}
	linger time.Duration // lingerFor, but for tests
}

// startDelay is how long a datum's command runs before the server hears
// that it started; until then the datum shows STARTING.
const startDelay = 50 * time.Millisecond

// lingerFor is how long the reporter holds the ends of datums, while no
// start, marker or stop is queued, so that the start of the datum that
// follows (queued startDelay after it begins) goes in the same request:
// a run of datums longer than startDelay then costs the server one
// report per datum, not two. The end of a set's last datum is not held:
// the set's finish queues a marker at once.
const lingerFor = startDelay + 20*time.Millisecond

// A report is one item of the queue: a datum's start, the ends of datums
// of a set (a group, whose outputs are staged together), or a marker that
// is closed once everything before it was sent.
type report struct {
	start  *tusk.TaskResult
	group  *group
	marker chan struct{}
}

// A group is the ends of datums of one set that go in one report; the
// outputs of its successful datums are in one upload.
type group struct {
	s       *datumSet
	up      *client.Upload // nil until an output is added
	upErr   error          // why up could not be made
	ops     int            // operations added to up so far
	ends    []int          // the datums (indexes into s.tasks) that ended
	spans   map[int][2]int // datum i's operations are up's [spans[i][0], spans[i][1])
	adding  bool           // an output was added to up, its datum's end is to come
	queued  bool
	settled bool // sent, or being sent: later ends go to a new group
}

func newReporter(ctx context.Context, w *worker) *reporter {
	r := &reporter{w: w, ctx: ctx, starts: map[string]*time.Timer{}, done: make(chan struct{}), linger: lingerFor}
	r.cond = sync.NewCond(&r.mu)
	go r.loop()
	return r
}

// openGroup returns the group of s that takes the next ends; r.mu is held.
func (r *reporter) openGroup(s *datumSet) *group {
	if s.group == nil || s.group.settled {
		s.group = &group{s: s, spans: map[int][2]int{}}
	}
	return s.group
}

// collect adds the output of datum i of s, laid out under the root, to
// the upload of the open group of s, which stays open until the datum's
// end joins it (see ended).
func (r *reporter) collect(s *datumSet, i int) error {
	r.mu.Lock()
	g := r.openGroup(s)
	g.adding = true
	r.mu.Unlock()
	if g.up == nil && g.upErr == nil {
		g.up, g.upErr = r.w.cfg.Client.NewUpload(context.WithoutCancel(r.ctx))
	}
	if g.upErr != nil {
		return g.upErr
	}
	c := &countingUploader{up: g.up}
	err := r.w.walkOut(c, &s.tasks[i], "out", "/", 0, &r.w.lay.out)
	g.spans[i] = [2]int{g.ops, g.ops + c.n}
	g.ops += c.n
	return err
}

// started queues the start of a datum's command once it has run for
// startDelay, unless its end comes first.
func (r *reporter) started(res tusk.TaskResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var t *time.Timer
	t = time.AfterFunc(startDelay, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.starts[res.Datum] != t {
			return // ended meanwhile
		}
		delete(r.starts, res.Datum)
		r.queue = append(r.queue, &report{start: &res})
		r.cond.Broadcast()
	})
	r.starts[res.Datum] = t
}

// ended queues the end of datum i of s, whose result s holds.
func (r *reporter) ended(s *datumSet, i int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t := r.starts[s.tasks[i].Datum]; t != nil {
		t.Stop()
		delete(r.starts, s.tasks[i].Datum)
	}
	g := r.openGroup(s)
	g.ends, g.adding = append(g.ends, i), false
	if !g.queued {
		g.queued = true
		r.queue = append(r.queue, &report{group: g})
	}
	r.cond.Broadcast()
}

// sent returns a channel closed once everything queued so far was sent.
func (r *reporter) sent() <-chan struct{} {
	ch := make(chan struct{})
	r.push(&report{marker: ch})
	return ch
}

func (r *reporter) push(rep *report) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queue = append(r.queue, rep)
	r.cond.Broadcast()
}

// close sends what is queued and stops the reporter, giving up after
// stopGrace if the worker is stopping.
func (r *reporter) close() {
	r.mu.Lock()
	r.closed = true
	r.cond.Broadcast()
	r.mu.Unlock()
	if r.ctx.Err() == nil {
		<-r.done
		return
	}
	select {
	case <-r.done:
	case <-time.After(stopGrace):
		r.w.log.Warn("the last datum reports did not go out in time; the server queues those datums again")
	}
}

func (r *reporter) loop() {
	defer close(r.done)
	for {
		r.mu.Lock()
		for len(r.queue) == 0 && !r.closed {
			r.cond.Wait()
		}
		r.lingerLocked()
		batch := r.queue
		r.queue = nil
		for _, rep := range batch {
			if g := rep.group; g != nil {
				for g.adding {
					r.cond.Wait()
				}
				g.settled = true
			}
		}
		r.mu.Unlock()
		if len(batch) == 0 {
			return // closed
		}
		r.send(batch)
	}
}

// lingerLocked waits, for up to r.linger, while the queue holds only
// ends of datums and the reporter is neither closed nor stopping, for a
// start or a marker to join them; r.mu is held.
func (r *reporter) lingerLocked() {
	endsOnly := func() bool {
		for _, rep := range r.queue {
			if rep.group == nil {
				return false
			}
		}
		return len(r.queue) > 0 && !r.closed && r.ctx.Err() == nil
	}
	if !endsOnly() {
		return
	}
	over := false
	t := time.AfterFunc(r.linger, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		over = true
		r.cond.Broadcast()
	})
	defer t.Stop()
	for !over && endsOnly() {
		r.cond.Wait()
	}
}

// send stages the outputs of the groups of a batch and reports the batch
// in one request.
func (r *reporter) send(batch []*report) {
	var results []tusk.TaskResult
	var markers []chan struct{}
	for _, rep := range batch {
		switch {
		case rep.start != nil:
			results = append(results, *rep.start)
		case rep.group != nil:
			results = append(results, rep.group.results()...)
		default:
			markers = append(markers, rep.marker)
		}
	}
	// A datum's logs are in before its end: who sees it failed finds why.
	for _, rep := range batch {
		if g := rep.group; g != nil {
			g.s.logs.flush()
		}
	}
	if len(results) > 0 {
		ctx := context.WithoutCancel(r.ctx)
		if r.ctx.Err() != nil {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, stopGrace)
			defer cancel()
		}
		if err := r.report(ctx, results); err != nil {
			// The server takes the datums back when their leases run out.
			r.w.log.Error("report datums", "datums", len(results), "err", err)
		}
	}
	for _, rep := range batch {
		if g := rep.group; g != nil {
			g.s.settle(g.ends)
		}
	}
	for _, m := range markers {
		close(m)
	}
}

// reportPatience is how long a report that failed for the server's sake
// (it was unavailable, or its store too busy) is tried again: about the
// lease of the datums, after which the server gives them to others.
const reportPatience = 30 * time.Second

// report sends results, again while the server fails it for reasons of
// its own: a result is applied once whatever the number of reports (its
// claim number tells a stale one), and one not reported costs its datum a
// run again once its lease is out.
func (r *reporter) report(ctx context.Context, results []tusk.TaskResult) error {
	deadline := time.Now().Add(reportPatience)
	wait := 50 * time.Millisecond
	for {
		err := r.w.cfg.Client.Done(ctx, results)
		switch tusk.KindOf(err) {
		case tusk.KindInvalid, tusk.KindNotFound, tusk.KindForbidden, tusk.KindUnauthenticated:
			return err
		}
		if err == nil || time.Now().Add(wait).After(deadline) {
			return err
		}
		r.w.log.Warn("report datums, trying again", "datums", len(results), "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// results stages the group's outputs and returns its results, each
// successful one with its output operations.
func (g *group) results() []tusk.TaskResult {
	ops, err := []tusk.FileOp(nil), g.upErr
	if g.up != nil {
		ops, err = g.up.Stage()
	}
	out := make([]tusk.TaskResult, 0, len(g.ends))
	for _, i := range g.ends {
		res := g.s.results[i]
		if res.State == tusk.DatumSuccess {
			if err != nil {
				// As failOrGiveBack.
				res.State, res.Reason = tusk.DatumFailed, "upload output: "+err.Error()
				if serverLost(err) {
					res.State, res.Reason = tusk.DatumQueued, "given back by worker "+g.s.w.cfg.ID+", which lost the server: "+res.Reason
				}
				g.s.logs.note(&g.s.tasks[i], res.Reason)
			} else {
				span := g.spans[i]
				res.Outputs = ops[span[0]:span[1]]
			}
		}
		out = append(out, res)
	}
	return out
}
