package s3gw

import (
	"context"
	"errors"
	"sync"

	"github.com/tuskdata/tusk/internal/tusk"
)

// committer makes the commits of concurrent writes to one branch together
// (group commit): each write still becomes a commit of its own, durable
// when its request is answered, but the writes that arrive while a group
// is being committed wait and go in the next group, which shares one
// flush and one transaction (pfs's ModifyEach). Without it, concurrent
// commits to one branch race, and each loser replays onto the winner's.
type committer struct {
	mu       sync.Mutex
	branches map[string]*branchQueue
}

// branchQueue is the writes waiting for one branch, and whether a request
// is committing a group of them (busy).
type branchQueue struct {
	waiting []*pendingWrite
	busy    bool
}

type pendingWrite struct {
	ops    []tusk.FileOp
	commit tusk.Commit
	err    error
	// wake gets false once the write is committed (or failed), or true
	// when its request is to commit the next group.
	wake chan bool
}

// commitGrouped makes ops one commit on ref's branch, in a group with the
// writes to that branch that wait with it. A request that finds no group
// being committed commits the writes waiting, its own among them, then
// hands the writes that arrived meanwhile to the first of their requests.
func (g *Gateway) commitGrouped(ctx context.Context, ref tusk.Ref, ops []tusk.FileOp) (tusk.Commit, error) {
	c := &g.committer
	key := ref.Repo + "@" + ref.Branch
	w := &pendingWrite{ops: ops, wake: make(chan bool, 1)}
	c.mu.Lock()
	if c.branches == nil {
		c.branches = map[string]*branchQueue{}
	}
	q := c.branches[key]
	if q == nil {
		q = &branchQueue{}
		c.branches[key] = q
	}
	q.waiting = append(q.waiting, w)
	lead := !q.busy
	q.busy = true
	c.mu.Unlock()
	if !lead && !<-w.wake {
		return w.commit, w.err
	}
	c.mu.Lock()
	group := q.waiting
	q.waiting = nil
	c.mu.Unlock()
	// Deferred, so that the writes that wait are not stuck behind a
	// group whose commit panicked.
	defer c.handOff(q, key)
	// The group is everyone's: it goes on if this request is cancelled.
	g.commitGroup(context.WithoutCancel(ctx), ref, group)
	return w.commit, w.err
}

// handOff gives the writes that wait for a branch to the first of their
// requests to commit, or marks the branch idle when none waits.
func (c *committer) handOff(q *branchQueue, key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(q.waiting) == 0 {
		q.busy = false
		delete(c.branches, key)
		return
	}
	q.waiting[0].wake <- true
}

// commitGroup commits each write of group, in order, and tells each its
// outcome.
func (g *Gateway) commitGroup(ctx context.Context, ref tusk.Ref, group []*pendingWrite) {
	opss := make([][]tusk.FileOp, len(group))
	for i, w := range group {
		opss[i] = w.ops
	}
	told := 0
	defer func() {
		// Reached with writes untold only if ModifyEach panicked.
		for _, w := range group[told:] {
			w.err = errors.New("the commit of a group of writes failed on an internal error; retry")
			w.wake <- false
		}
	}()
	commits, errs, err := g.fs.ModifyEach(ctx, ref, opss)
	for i, w := range group {
		switch {
		case err != nil:
			w.err = err
		case errs[i] != nil:
			w.err = errs[i]
		default:
			w.commit = commits[i]
		}
		w.wake <- false
		told = i + 1
	}
}
