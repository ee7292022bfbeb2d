package meta

import (
	"context"
	"fmt"
	"time"
)

// Workers claim datums in sets: these queries find what a set may hold
// with index range scans that stop after the rows they need, so claiming
// stays cheap in jobs of a million datums.

// ClaimableDatums returns up to n datums of a job that a worker may claim:
// queued ones in index order, then claimed ones (STARTING or RUNNING)
// whose lease expired before now (their worker died). In a transaction of
// UpdateQueue, datums that a concurrent claim holds are left to it.
func (t *Tx) ClaimableDatums(ctx context.Context, project, pipeline, job string, now time.Time, n int) ([][]byte, error) {
	if n <= 0 {
		return nil, nil
	}
	out, err := t.docs(ctx, `SELECT data FROM datums WHERE project = ? AND pipeline = ? AND job = ?
		AND state = 'QUEUED' ORDER BY idx LIMIT ?`+t.taking(), project, pipeline, job, n)
	if err != nil {
		return nil, fmt.Errorf("claimable datums of %s@%s: %w", pipeline, job, err)
	}
	if len(out) == n {
		return out, nil
	}
	expired, err := t.docs(ctx, `SELECT data FROM datums WHERE project = ? AND pipeline = ? AND job = ?
		AND state IN ('STARTING', 'RUNNING') AND lease_until < ? ORDER BY idx LIMIT ?`+t.taking(), project, pipeline, job, nanos(now), n-len(out))
	if err != nil {
		return nil, fmt.Errorf("expired datums of %s@%s: %w", pipeline, job, err)
	}
	return append(out, expired...), nil
}

// taking is what ends a query that takes rows of a queue: in a
// transaction of UpdateQueue on PostgreSQL, rows are locked for it and
// those another transaction holds are skipped.
func (t *Tx) taking() string {
	if t.locking {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// locked is what ends a query that reads a row of a queue to change it:
// in a transaction of UpdateQueue on PostgreSQL, the row is locked.
func (t *Tx) locked() string {
	if t.locking {
		return " FOR UPDATE"
	}
	return ""
}

// CountClaimableDatums counts the datums ClaimableDatums would return,
// but no more than limit of them.
func (t *Tx) CountClaimableDatums(ctx context.Context, project, pipeline, job string, now time.Time, limit int) (int, error) {
	var queued, expired int
	err := t.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM datums WHERE project = ? AND pipeline = ? AND job = ?
		AND state = 'QUEUED' LIMIT ?) AS q`, project, pipeline, job, limit).Scan(&queued)
	if err != nil {
		return 0, fmt.Errorf("count queued datums of %s@%s: %w", pipeline, job, err)
	}
	if queued >= limit {
		return queued, nil
	}
	err = t.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM datums WHERE project = ? AND pipeline = ? AND job = ?
		AND state IN ('STARTING', 'RUNNING') AND lease_until < ? LIMIT ?) AS q`, project, pipeline, job, nanos(now), limit-queued).Scan(&expired)
	if err != nil {
		return 0, fmt.Errorf("count expired datums of %s@%s: %w", pipeline, job, err)
	}
	return queued + expired, nil
}
