package scheduler

import (
	"context"
	"sync"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Claims of a job's queued datums start where this server's last claim of
// the job ended, not at the head of the queue: a cursor per pipeline (a
// claim only ever takes datums of its pipeline's oldest unfinished job),
// in memory. Each claim reserves the range of indices its set will take
// and moves the cursor past it before it reads, so that concurrent claims
// read different rows: when all started at the head, each scanned over
// the rows the others had just taken, and on PostgreSQL `SKIP LOCKED`
// locked and rechecked each one, which bounded the claims per second.
// The set is sized from an estimate, not a count: the job's datums past
// the cursor, times the share of its datums that it planned to run.
//
// The cursor is a hint, never a promise: a claim that finds nothing from
// it looks from the head (meta.ClaimableDatums, which counts and takes the
// expired leases), so datums that went back to the queue behind it
// (given back, failed and retried, left by a claim whose transaction
// failed) and datums no claim of this server reached (another server's
// range) are claimed once the cursor has passed the end. Other servers
// keep cursors of their own; SKIP LOCKED keeps their claims apart.
type claimCursors struct {
	mu sync.Mutex
	m  map[string]*claimCursor // by pipeline
}

// A claimCursor is where the next claim of a job's queued datums starts.
type claimCursor struct {
	job  string
	next int64 // the first index not yet reserved by a claim
	end  int64 // the index past the job's last datum (meta.Tx.DatumsEnd)
}

func newClaimCursors() *claimCursors { return &claimCursors{m: map[string]*claimCursor{}} }

// reserve returns where a claim of the queued datums of job j starts and
// how many it takes, as size says, and moves the cursor past them. It
// returns 0 datums once the cursor is past the job's end.
func (c *claimCursors) reserve(ctx context.Context, tx *meta.Tx, j *tusk.JobInfo, size meta.SetSize) (from int64, n int, err error) {
	c.mu.Lock()
	cur := c.m[j.Pipeline]
	c.mu.Unlock()
	if cur == nil || cur.job != j.ID {
		// The job's datums are all stored before it runs: their end is
		// read once.
		end, err := tx.DatumsEnd(ctx, project, j.Pipeline, j.ID)
		if err != nil {
			return 0, 0, err
		}
		c.mu.Lock()
		if cur = c.m[j.Pipeline]; cur == nil || cur.job != j.ID {
			cur = &claimCursor{job: j.ID, end: end}
			c.m[j.Pipeline] = cur
		}
		c.mu.Unlock()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur.next >= cur.end {
		return cur.next, 0, nil
	}
	n = size.N
	if size.Spread > 0 {
		// The datums the job runs (the rest it skipped, rarely stored
		// among them), in proportion to the datums past the cursor.
		run := max(j.DataTotal-j.DataSkipped, 0)
		left := (cur.end - cur.next) * run / cur.end
		n = int(min(max(left/int64(size.Spread), 1), int64(size.N)))
	}
	from = cur.next
	cur.next += int64(n)
	return from, n, nil
}

// reached notes that a claim from the cursor of job took datums up to
// index last: the cursor moves past it if it is not there yet (another
// server's claims took the datums before it).
func (c *claimCursors) reached(pipeline, job string, last int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur := c.m[pipeline]; cur != nil && cur.job == job && cur.next <= last {
		cur.next = last + 1
	}
}

// short says whether this server's claims of job have not yet reached its
// last datum: the datums past the cursor are queued, unless another
// server's claims took them.
func (c *claimCursors) short(pipeline, job string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := c.m[pipeline]
	return cur != nil && cur.job == job && cur.next < cur.end
}

// forget drops the cursor of a deleted pipeline.
func (c *claimCursors) forget(pipeline string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, pipeline)
}
