package meta

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Workers claim datums in sets: these queries find what a set may hold
// with index range scans that stop after the rows they need, so claiming
// stays cheap in jobs of a million datums.

// PipelineWork returns, in one statement, what a claim of a pipeline's
// datums starts from: the pipeline's document and that of its oldest
// unfinished job, nil if it has none.
func (t *Tx) PipelineWork(ctx context.Context, project, pipeline string) (doc, job []byte, err error) {
	var p string
	var j sql.NullString
	err = t.queryRow(ctx, `SELECT p.data, (SELECT j.data FROM jobs j WHERE j.project = p.project AND j.pipeline = p.name
		AND j.state NOT IN ('SUCCESS', 'FAILURE', 'KILLED', 'UNRUNNABLE') ORDER BY j.created, j.id LIMIT 1)
		FROM pipelines p WHERE p.project = ? AND p.name = ?`, project, pipeline).Scan(&p, &j)
	if isNoRows(err) {
		return nil, nil, notFound(NotFound{What: MissingPipeline, Pipeline: pipeline}, "pipeline %q not found", pipeline)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read pipeline %s and its job: %w", pipeline, err)
	}
	if j.Valid {
		job = []byte(j.String)
	}
	return []byte(p), job, nil
}

// A SetSize says how many datums a claim takes: N, or, when Spread is
// more than 0, the claimable datums divided by Spread, at least 1 and at
// most N.
type SetSize struct{ N, Spread int }

// ClaimableDatums returns datums of a job that a worker may claim, as
// many as size says: queued ones in index order, then claimed ones
// (STARTING, then RUNNING) whose lease expired before now (their worker
// died). A set sized by Spread is of queued datums, counted and taken in
// one statement, or, once none is queued, of up to N expired ones: a dead
// worker's set goes whole to another. Each state is looked up by its own
// range of the state index: a lookup of both claimed states at once
// scanned every datum of the job, in index order, on either store. In a
// transaction of UpdateQueue, datums that a concurrent claim holds are
// left to it.
func (t *Tx) ClaimableDatums(ctx context.Context, project, pipeline, job string, now time.Time, size SetSize) ([][]byte, error) {
	rows := func(state string) string {
		return `FROM datums WHERE project = ? AND pipeline = ? AND job = ? AND state = '` + state + `'`
	}
	if size.N <= 0 {
		return nil, nil
	}
	var out [][]byte
	var err error
	if size.Spread > 0 {
		least, greatest := "min", "max" // SQLite's scalar functions of several arguments
		if t.postgres {
			least, greatest = "LEAST", "GREATEST"
		}
		key := []any{project, pipeline, job}
		out, err = t.docs(ctx, fmt.Sprintf(`SELECT data %s ORDER BY idx LIMIT (SELECT %s(%s(COUNT(*) / ?, 1), ?) FROM (SELECT 1 %s LIMIT ?) AS c)%s`,
			rows("QUEUED"), least, greatest, rows("QUEUED"), t.taking()), slices.Concat(key, []any{size.Spread, size.N}, key, []any{size.N * size.Spread})...)
		if len(out) > 0 || err != nil {
			return out, wrapClaimable(err, "claimable", pipeline, job)
		}
	} else {
		out, err = t.docs(ctx, `SELECT data `+rows("QUEUED")+` ORDER BY idx LIMIT ?`+t.taking(), project, pipeline, job, size.N)
		if len(out) == size.N || err != nil {
			return out, wrapClaimable(err, "claimable", pipeline, job)
		}
	}
	for _, state := range []string{"STARTING", "RUNNING"} {
		expired, err := t.docs(ctx, `SELECT data `+rows(state)+` AND lease_until < ? ORDER BY idx LIMIT ?`+t.taking(),
			project, pipeline, job, nanos(now), size.N-len(out))
		if err != nil {
			return nil, wrapClaimable(err, "expired", pipeline, job)
		}
		if out = append(out, expired...); len(out) == size.N {
			break
		}
	}
	return out, nil
}

// QueuedDatumsFrom returns up to n queued datums of a job from index from
// on, in index order: a claim that starts where the last one ended, so
// that concurrent claims take different ranges of the queue rather than
// all scan it from the head over rows the others just took (and, on
// PostgreSQL, lock and recheck each). It counts nothing: the caller sizes
// the set. In a transaction of UpdateQueue, datums that a concurrent
// claim holds are left to it.
func (t *Tx) QueuedDatumsFrom(ctx context.Context, project, pipeline, job string, from int64, n int) ([][]byte, error) {
	if n <= 0 {
		return nil, nil
	}
	out, err := t.docs(ctx, `SELECT data FROM datums WHERE project = ? AND pipeline = ? AND job = ? AND state = 'QUEUED' AND idx >= ?
		ORDER BY idx LIMIT ?`+t.taking(), project, pipeline, job, from, n)
	return out, wrapClaimable(err, "queued", pipeline, job)
}

// DatumsEnd returns the index past a job's last datum: its planned
// datums are indexed from 0, so this is how many it has. One step down
// the index.
func (t *Tx) DatumsEnd(ctx context.Context, project, pipeline, job string) (int64, error) {
	var end int64
	err := t.queryRow(ctx, `SELECT COALESCE(MAX(idx) + 1, 0) FROM datums WHERE project = ? AND pipeline = ? AND job = ?`,
		project, pipeline, job).Scan(&end)
	if err != nil {
		return 0, fmt.Errorf("the datums' end of %s@%s: %w", pipeline, job, err)
	}
	return end, nil
}

func wrapClaimable(err error, what, pipeline, job string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s datums of %s@%s: %w", what, pipeline, job, err)
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

// DatumsByID returns the documents of a job's datums with these IDs, by
// ID; IDs of no datum are left out. In a transaction of UpdateQueue it
// locks them in the order of their IDs, so that transactions that lock
// some of the same datums wait for each other rather than deadlock.
//
// The datums are looked up one by one, each by its key, whatever the
// planner thinks of the job: on PostgreSQL, for a job whose datums had no
// statistics yet (they come by the thousand with each new job), it read
// every datum of the job to find the few asked for, a tenth of a second
// for a set of a hundred in a job of 20k. There the IDs go as one array,
// sorted, and each is looked up, and locked, in a subquery of its own
// (LATERAL, with a LIMIT, which the planner cannot turn into a join), in
// the order of the array; the statement is the same for any number of
// IDs, so it is prepared once per connection. SQLite gets a placeholder
// per ID and walks the primary key.
func (t *Tx) DatumsByID(ctx context.Context, project, pipeline, job string, ids []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(ids))
	sorted := slices.Sorted(slices.Values(ids))
	for chunk := range slices.Chunk(sorted, 500) {
		var rows *sql.Rows
		var err error
		if t.postgres {
			rows, err = t.query(ctx, `SELECT d.id, d.data FROM unnest(?::text[]) AS k(id) CROSS JOIN LATERAL
				(SELECT id, data FROM datums WHERE project = ? AND pipeline = ? AND job = ? AND id = k.id LIMIT 1`+t.locked()+`) AS d`,
				chunk, project, pipeline, job)
		} else {
			args := []any{project, pipeline, job}
			for _, id := range chunk {
				args = append(args, id)
			}
			rows, err = t.query(ctx, `SELECT id, data FROM datums WHERE project = ? AND pipeline = ? AND job = ? AND id IN (`+
				placeholders(len(chunk))+`) ORDER BY id`+t.locked(), args...)
		}
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

// putDatumsChunk is how many datums one statement of PutDatums stores on
// SQLite, with a placeholder per value.
const putDatumsChunk = 100

// PutDatums stores datums as PutDatum does, many to a statement: on
// PostgreSQL a column per array, all in one statement, the same for any
// number of datums; on SQLite putDatumsChunk to a statement.
func (t *Tx) PutDatums(ctx context.Context, project string, rows []DatumPut) error {
	const insert = `INSERT INTO datums (project, pipeline, job, id, idx, state, lease_until, data) `
	const upsert = ` ON CONFLICT (project, pipeline, job, id) DO UPDATE SET state = excluded.state, lease_until = excluded.lease_until, data = excluded.data`
	if len(rows) == 0 {
		return nil
	}
	if t.postgres {
		var pipelines, jobs, ids, states, data []string
		var idx, leases []int64
		for _, r := range rows {
			pipelines, jobs, ids, states = append(pipelines, r.Pipeline), append(jobs, r.Job), append(ids, r.ID), append(states, r.State)
			idx, leases, data = append(idx, r.Index), append(leases, nanos(r.LeaseUntil)), append(data, string(r.Data))
		}
		_, err := t.exec(ctx, insert+`SELECT ?::text, * FROM unnest(?::text[], ?::text[], ?::text[], ?::bigint[], ?::text[], ?::bigint[], ?::text[])`+upsert,
			project, pipelines, jobs, ids, idx, states, leases, data)
		if err != nil {
			return fmt.Errorf("store %d datums of %s@%s: %w", len(rows), rows[0].Pipeline, rows[0].Job, err)
		}
		return nil
	}
	for chunk := range slices.Chunk(rows, putDatumsChunk) {
		var q strings.Builder
		q.WriteString(insert + `VALUES `)
		args := make([]any, 0, 8*len(chunk))
		for i, r := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, project, r.Pipeline, r.Job, r.ID, r.Index, r.State, nanos(r.LeaseUntil), string(r.Data))
		}
		q.WriteString(upsert)
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
