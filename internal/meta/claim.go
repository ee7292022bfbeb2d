package meta

import (
	"context"
	"fmt"
	"slices"
	"strings"
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

// DatumsByID returns the documents of a job's datums with these IDs, by
// ID; IDs of no datum are left out. In a transaction of UpdateQueue it
// locks them in the order of their IDs, so that transactions that lock
// some of the same datums wait for each other rather than deadlock. (The
// order is the primary key's, which the lookup walks: ordered by index
// in the job, the stores scanned every datum of the job instead.)
func (t *Tx) DatumsByID(ctx context.Context, project, pipeline, job string, ids []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(ids))
	for chunk := range slices.Chunk(ids, 500) {
		args := []any{project, pipeline, job}
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := t.query(ctx, `SELECT id, data FROM datums WHERE project = ? AND pipeline = ? AND job = ? AND id IN (`+
			placeholders(len(chunk))+`) ORDER BY id`+t.locked(), args...)
		if err != nil {
			return nil, fmt.Errorf("read datums of %s@%s: %w", pipeline, job, err)
		}
		for rows.Next() {
			var id, data string
			if err := rows.Scan(&id, &data); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read datums of %s@%s: %w", pipeline, job, err)
			}
			out[id] = []byte(data)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read datums of %s@%s: %w", pipeline, job, err)
		}
	}
	return out, nil
}

// A DatumPut is a datum to store with PutDatums.
type DatumPut struct {
	Pipeline, Job, ID string
	Index             int64
	State             string
	LeaseUntil        time.Time // matters for running datums only
	Data              []byte
}

// putDatumsChunk is how many datums one statement of PutDatums stores.
const putDatumsChunk = 100

// PutDatums stores datums as PutDatum does, many to a statement.
func (t *Tx) PutDatums(ctx context.Context, project string, rows []DatumPut) error {
	for chunk := range slices.Chunk(rows, putDatumsChunk) {
		var q strings.Builder
		q.WriteString(`INSERT INTO datums (project, pipeline, job, id, idx, state, lease_until, data) VALUES `)
		args := make([]any, 0, 8*len(chunk))
		for i, r := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, project, r.Pipeline, r.Job, r.ID, r.Index, r.State, nanos(r.LeaseUntil), string(r.Data))
		}
		q.WriteString(` ON CONFLICT (project, pipeline, job, id) DO UPDATE SET state = excluded.state, lease_until = excluded.lease_until, data = excluded.data`)
		if _, err := t.exec(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("store %d datums of %s@%s: %w", len(chunk), chunk[0].Pipeline, chunk[0].Job, err)
		}
	}
	return nil
}

// placeholders returns n comma-separated placeholders.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
