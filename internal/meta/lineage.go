package meta

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"
)

// The lineage of a pipeline's datums lets a job store only the datums
// that changed since the last successful job, so that skipping an
// unchanged datum writes nothing.
//
// A job's own rows in the datums table are the datums it runs (and the
// rare skipped datum that had to be copied). The datums it skips are rows
// of earlier jobs. Every job that succeeds gets its pipeline's next
// generation number, and a row is visible in generation g when born <= g
// < died (born is 0 outside the lineage). A successful job's datums are
// the rows visible in its generation. The datums of a job that has not
// succeeded (running, failed, killed) are its own rows plus the rows
// visible in the generation of its base (the last successful job when it
// was planned), but for those it runs again and those it removed (their
// inputs went). When a job succeeds, the rows its datums replace or
// remove die in its generation and its own rows are born in it, so the
// cost of a job is that of the datums that changed.

// lineageOpen is the died of a row still visible in the newest
// generation.
const lineageOpen = math.MaxInt64

// JobLineage is a job's place in the lineage of its pipeline.
type JobLineage struct {
	Job       string
	Base      int64  // generation of the job's base, 0 for none
	Gen       int64  // the job's generation once it succeeded, else 0
	Total     int64  // number of datums of the job
	Signature string // what made the job's datums, besides input commits
}

// PlannedDatum is a datum a job stores as its own row.
type PlannedDatum struct {
	ID, State, Hash, Key string
	Index                int64
	Data                 []byte
}

// DatumRow is a stored datum with the columns that order and compare
// datums; Data is empty unless asked for.
type DatumRow struct {
	Job, ID, State, Hash, Key string
	Index                     int64
	Data                      []byte
}

// InsertDatums stores a job's planned datums as new rows.
func (t *Tx) InsertDatums(ctx context.Context, project, pipeline, job string, ds []PlannedDatum) error {
	if len(ds) == 0 {
		return nil
	}
	st, err := t.tx.PrepareContext(ctx, t.rebind(`INSERT INTO datums
		(project, pipeline, job, id, idx, state, lease_until, data, hash, sort_key) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)`))
	if err != nil {
		return fmt.Errorf("store datums of %s@%s: %w", pipeline, job, err)
	}
	defer st.Close()
	for _, d := range ds {
		if _, err := st.ExecContext(ctx, project, pipeline, job, d.ID, d.Index, d.State, string(d.Data), d.Hash, d.Key); err != nil {
			return fmt.Errorf("store datum %s of %s@%s: %w", d.ID, pipeline, job, err)
		}
	}
	return nil
}

// analyzeMin is how many datums a plan must add before AnalyzeDatums
// refreshes the planner's statistics.
const analyzeMin = 1000

// AnalyzeDatums tells the store that a job's plan added datums to the
// datums table. On PostgreSQL, when they are at least analyzeMin and more
// than a tenth of the rows its planner knew of (when autovacuum would
// analyze the table, but only a minute or so later), the table's
// statistics are refreshed now: without them, in a new database, the
// planner took the table for one row, and the queries of the worker
// protocol walked every datum of the pipeline through an index that
// leaves out the job (each datum of a report was looked up that way, a
// cost that grew with the job), for as long as the job ran. On SQLite,
// whose planner prefers the index that matches most columns, it does
// nothing. Only the columns that the queries select by are analyzed.
func (d *DB) AnalyzeDatums(ctx context.Context, added int64) error {
	if !d.postgres || added < analyzeMin {
		return nil
	}
	var known float64
	if err := d.db.QueryRowContext(ctx, `SELECT reltuples FROM pg_class WHERE oid = 'datums'::regclass`).Scan(&known); err != nil {
		return fmt.Errorf("the datums' statistics: %w", err)
	}
	if float64(added) <= known/10 {
		return nil
	}
	if _, err := d.db.ExecContext(ctx, `ANALYZE datums (project, pipeline, job, id, idx, state, died)`); err != nil {
		return fmt.Errorf("analyze the datums: %w", err)
	}
	return nil
}

// AddRemovedDatums records datums of a job's base that the job no longer
// has.
func (t *Tx) AddRemovedDatums(ctx context.Context, project, pipeline, job string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	st, err := t.tx.PrepareContext(ctx, t.rebind(`INSERT INTO removed_datums (project, pipeline, job, id) VALUES (?, ?, ?, ?)`))
	if err != nil {
		return fmt.Errorf("record removed datums of %s@%s: %w", pipeline, job, err)
	}
	defer st.Close()
	for _, id := range ids {
		if _, err := st.ExecContext(ctx, project, pipeline, job, id); err != nil {
			return fmt.Errorf("record removed datum %s of %s@%s: %w", id, pipeline, job, err)
		}
	}
	return nil
}

// ClearPlan removes what planning a job stored, so that it can be
// planned again. It must not be used on a job that succeeded.
func (t *Tx) ClearPlan(ctx context.Context, project, pipeline, job string) error {
	for _, q := range []string{
		`DELETE FROM datums WHERE project = ? AND pipeline = ? AND job = ?`,
		`DELETE FROM removed_datums WHERE project = ? AND pipeline = ? AND job = ?`,
		`DELETE FROM job_lineage WHERE project = ? AND pipeline = ? AND job = ?`,
	} {
		if _, err := t.exec(ctx, q, project, pipeline, job); err != nil {
			return fmt.Errorf("clear the plan of %s@%s: %w", pipeline, job, err)
		}
	}
	return nil
}

// PutJobLineage records a planned job's place in the lineage.
func (t *Tx) PutJobLineage(ctx context.Context, project, pipeline string, l JobLineage) error {
	_, err := t.exec(ctx, `INSERT INTO job_lineage (project, pipeline, job, base, gen, total, signature) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (project, pipeline, job) DO UPDATE SET base = excluded.base, gen = excluded.gen,
		total = excluded.total, signature = excluded.signature`,
		project, pipeline, l.Job, l.Base, l.Gen, l.Total, l.Signature)
	if err != nil {
		return fmt.Errorf("record the lineage of %s@%s: %w", pipeline, l.Job, err)
	}
	return nil
}

const lineageColumns = `job, base, gen, total, signature`

func scanLineage(row interface{ Scan(...any) error }) (JobLineage, bool, error) {
	var l JobLineage
	err := row.Scan(&l.Job, &l.Base, &l.Gen, &l.Total, &l.Signature)
	if isNoRows(err) {
		return l, false, nil
	}
	return l, err == nil, err
}

// JobLineage returns a job's place in the lineage, if it was planned.
func (t *Tx) JobLineage(ctx context.Context, project, pipeline, job string) (JobLineage, bool, error) {
	l, ok, err := scanLineage(t.queryRow(ctx, `SELECT `+lineageColumns+` FROM job_lineage
		WHERE project = ? AND pipeline = ? AND job = ?`, project, pipeline, job))
	if err != nil {
		return l, false, fmt.Errorf("read the lineage of %s@%s: %w", pipeline, job, err)
	}
	return l, ok, nil
}

// LineageHead returns the pipeline's newest generation: its last
// successful job, whose record may have been deleted since.
func (t *Tx) LineageHead(ctx context.Context, project, pipeline string) (JobLineage, bool, error) {
	l, ok, err := scanLineage(t.queryRow(ctx, `SELECT `+lineageColumns+` FROM job_lineage
		WHERE project = ? AND pipeline = ? AND gen > 0 ORDER BY gen DESC LIMIT 1`, project, pipeline))
	if err != nil {
		return l, false, fmt.Errorf("read the lineage of %s: %w", pipeline, err)
	}
	return l, ok, nil
}

// PromoteJob makes a planned job the pipeline's newest generation, when
// it succeeds: the rows its datums replace or remove die, its own rows
// are born. It returns the job's generation. The job's base must be the
// newest generation.
func (t *Tx) PromoteJob(ctx context.Context, project, pipeline, job string) (int64, error) {
	l, ok, err := t.JobLineage(ctx, project, pipeline, job)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("promote %s@%s: the job was not planned", pipeline, job)
	}
	head, _, err := t.LineageHead(ctx, project, pipeline)
	if err != nil {
		return 0, err
	}
	if l.Gen > 0 {
		return l.Gen, nil
	}
	if l.Base != head.Gen {
		return 0, fmt.Errorf("job %s@%s was planned on generation %d of its datums, but generation %d succeeded since",
			pipeline, job, l.Base, head.Gen)
	}
	g := head.Gen + 1
	for _, q := range []string{
		`UPDATE datums SET died = ? WHERE project = ? AND pipeline = ? AND died = ? AND id IN
			(SELECT id FROM datums WHERE project = ? AND pipeline = ? AND job = ?)`,
		`UPDATE datums SET died = ? WHERE project = ? AND pipeline = ? AND died = ? AND id IN
			(SELECT id FROM removed_datums WHERE project = ? AND pipeline = ? AND job = ?)`,
	} {
		if _, err := t.exec(ctx, q, g, project, pipeline, int64(lineageOpen), project, pipeline, job); err != nil {
			return 0, fmt.Errorf("promote %s@%s: %w", pipeline, job, err)
		}
	}
	if _, err := t.exec(ctx, `UPDATE datums SET born = ?, died = ? WHERE project = ? AND pipeline = ? AND job = ?`,
		g, int64(lineageOpen), project, pipeline, job); err != nil {
		return 0, fmt.Errorf("promote %s@%s: %w", pipeline, job, err)
	}
	l.Gen = g
	return g, t.PutJobLineage(ctx, project, pipeline, l)
}

const datumRowColumns = `job, id, state, hash, sort_key, idx`

func scanDatumRow(rows *sql.Rows, withData bool) (DatumRow, error) {
	var r DatumRow
	dest := []any{&r.Job, &r.ID, &r.State, &r.Hash, &r.Key, &r.Index}
	var data string
	if withData {
		dest = append(dest, &data)
	}
	err := rows.Scan(dest...)
	r.Data = []byte(data)
	return r, err
}

func (t *Tx) datumRows(ctx context.Context, withData bool, fn func(DatumRow) error, q string, args ...any) error {
	cols := datumRowColumns
	if withData {
		cols += `, data`
	}
	rows, err := t.query(ctx, `SELECT `+cols+` FROM datums `+q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanDatumRow(rows, withData)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// JobDatumRows streams a job's own rows in index order.
func (t *Tx) JobDatumRows(ctx context.Context, project, pipeline, job string, withData bool, fn func(DatumRow) error) error {
	err := t.datumRows(ctx, withData, fn, `WHERE project = ? AND pipeline = ? AND job = ? ORDER BY idx`, project, pipeline, job)
	if err != nil {
		return fmt.Errorf("list datums of %s@%s: %w", pipeline, job, err)
	}
	return nil
}

// visibleAt selects the rows visible in generation gen: in the newest one,
// through the index that keeps them in order.
func (t *Tx) visibleAt(ctx context.Context, project, pipeline string, gen int64) (string, []any, error) {
	head, _, err := t.LineageHead(ctx, project, pipeline)
	if err != nil {
		return "", nil, err
	}
	if gen == head.Gen {
		return `died = ?`, []any{int64(lineageOpen)}, nil
	}
	return `born > 0 AND born <= ? AND died > ?`, []any{gen, gen}, nil
}

// VisibleDatumRows streams, in order of key then index, the rows visible
// in generation gen (none for 0), leaving out those of datums that job
// except has as its own rows or removed, when it is set.
func (t *Tx) VisibleDatumRows(ctx context.Context, project, pipeline string, gen int64, except string, withData bool, fn func(DatumRow) error) error {
	if gen <= 0 {
		return nil
	}
	cond, args, err := t.visibleAt(ctx, project, pipeline, gen)
	if err != nil {
		return err
	}
	q := `WHERE project = ? AND pipeline = ? AND ` + cond
	args = append([]any{project, pipeline}, args...)
	if except != "" {
		q += ` AND NOT EXISTS (SELECT 1 FROM datums o WHERE o.project = datums.project AND o.pipeline = datums.pipeline
				AND o.job = ? AND o.id = datums.id)
			AND NOT EXISTS (SELECT 1 FROM removed_datums r WHERE r.project = datums.project AND r.pipeline = datums.pipeline
				AND r.job = ? AND r.id = datums.id)`
		args = append(args, except, except)
	}
	if err := t.datumRows(ctx, withData, fn, q+` ORDER BY sort_key, idx`, args...); err != nil {
		return fmt.Errorf("list datums of generation %d of %s: %w", gen, pipeline, err)
	}
	return nil
}

// VisibleDatums returns those of the datums ids that are visible in
// generation gen.
func (t *Tx) VisibleDatums(ctx context.Context, project, pipeline string, gen int64, ids []string, withData bool) ([]DatumRow, error) {
	if gen <= 0 {
		return nil, nil
	}
	out, err := t.datumRowsByID(ctx, withData, ids, `project = ? AND pipeline = ? AND born > 0 AND born <= ? AND died > ?`,
		project, pipeline, gen, gen)
	if err != nil {
		return nil, fmt.Errorf("look up datums of generation %d of %s: %w", gen, pipeline, err)
	}
	return out, nil
}

// JobDatumsByID returns those of the datums ids that are own rows of a
// job.
func (t *Tx) JobDatumsByID(ctx context.Context, project, pipeline, job string, ids []string, withData bool) ([]DatumRow, error) {
	out, err := t.datumRowsByID(ctx, withData, ids, `project = ? AND pipeline = ? AND job = ?`, project, pipeline, job)
	if err != nil {
		return nil, fmt.Errorf("look up datums of %s@%s: %w", pipeline, job, err)
	}
	return out, nil
}

// datumRowsByID returns the rows that meet cond among those of the datums
// ids, looking them up a few hundred at a time. The lists of IDs are
// padded to a power of two (repeating the last), so that the queries take
// few shapes.
func (t *Tx) datumRowsByID(ctx context.Context, withData bool, ids []string, cond string, args ...any) ([]DatumRow, error) {
	var out []DatumRow
	collect := func(r DatumRow) error {
		out = append(out, r)
		return nil
	}
	for len(ids) > 0 {
		n := min(len(ids), 512)
		size := 1
		for size < n {
			size *= 2
		}
		q := `WHERE ` + cond + ` AND id IN (?` + strings.Repeat(`, ?`, size-1) + `)`
		all := append([]any(nil), args...)
		for i := range size {
			all = append(all, ids[min(i, n-1)])
		}
		if err := t.datumRows(ctx, withData, collect, q, all...); err != nil {
			return nil, err
		}
		ids = ids[n:]
	}
	return out, nil
}

// RemovedDatums returns the datums of its base that a job removed.
func (t *Tx) RemovedDatums(ctx context.Context, project, pipeline, job string) ([]string, error) {
	out, err := t.names(ctx, `SELECT id FROM removed_datums WHERE project = ? AND pipeline = ? AND job = ? ORDER BY id`,
		project, pipeline, job)
	if err != nil {
		return nil, fmt.Errorf("list removed datums of %s@%s: %w", pipeline, job, err)
	}
	return out, nil
}

// VisibleBefore counts the rows visible in generation gen that sort before
// the row of key and idx: that row's position in the generation's listing.
func (t *Tx) VisibleBefore(ctx context.Context, project, pipeline string, gen int64, key string, idx int64) (int64, error) {
	cond, args, err := t.visibleAt(ctx, project, pipeline, gen)
	if err != nil {
		return 0, err
	}
	var n int64
	err = t.queryRow(ctx, `SELECT COUNT(*) FROM datums WHERE project = ? AND pipeline = ? AND `+cond+`
		AND (sort_key < ? OR sort_key = ? AND idx < ?)`, append(append([]any{project, pipeline}, args...), key, key, idx)...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("position of a datum of generation %d of %s: %w", gen, pipeline, err)
	}
	return n, nil
}

// JobRowsBefore counts a job's own rows before index idx: a row's
// position among them.
func (t *Tx) JobRowsBefore(ctx context.Context, project, pipeline, job string, idx int64) (int64, error) {
	var n int64
	err := t.queryRow(ctx, `SELECT COUNT(*) FROM datums WHERE project = ? AND pipeline = ? AND job = ? AND idx < ?`,
		project, pipeline, job, idx).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("position of a datum of %s@%s: %w", pipeline, job, err)
	}
	return n, nil
}
