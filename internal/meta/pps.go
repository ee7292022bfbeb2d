package meta

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Pipelines, jobs, datums and logs are stored as JSON documents owned by
// package pps, with the columns it queries by beside them.

func (t *Tx) docs(ctx context.Context, q string, args ...any) ([][]byte, error) {
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, []byte(s))
	}
	return out, rows.Err()
}

func (t *Tx) doc(ctx context.Context, notFound error, q string, args ...any) ([]byte, error) {
	var s string
	err := t.queryRow(ctx, q, args...).Scan(&s)
	if isNoRows(err) {
		return nil, notFound
	}
	return []byte(s), err
}

// PutPipeline stores the current version of a pipeline.
func (t *Tx) PutPipeline(ctx context.Context, project, name string, data []byte) error {
	_, err := t.exec(ctx, `INSERT INTO pipelines (project, name, data) VALUES (?, ?, ?)
		ON CONFLICT (project, name) DO UPDATE SET data = excluded.data`, project, name, string(data))
	if err != nil {
		return fmt.Errorf("store pipeline %s: %w", name, err)
	}
	return nil
}

// Pipeline returns a pipeline's document.
func (t *Tx) Pipeline(ctx context.Context, project, name string) ([]byte, error) {
	nf := notFound(NotFound{What: MissingPipeline, Pipeline: name}, "pipeline %q not found", name)
	b, err := t.doc(ctx, nf, `SELECT data FROM pipelines WHERE project = ? AND name = ?`, project, name)
	if err != nil && err != nf {
		return nil, fmt.Errorf("read pipeline %s: %w", name, err)
	}
	return b, err
}

// Pipelines returns every pipeline's document, by name.
func (t *Tx) Pipelines(ctx context.Context, project string) ([][]byte, error) {
	out, err := t.docs(ctx, `SELECT data FROM pipelines WHERE project = ? ORDER BY name`, project)
	if err != nil {
		return nil, fmt.Errorf("list pipelines: %w", err)
	}
	return out, nil
}

// DeletePipeline removes a pipeline with its versions, jobs, datums and
// logs.
func (t *Tx) DeletePipeline(ctx context.Context, project, name string) error {
	for _, q := range []string{
		`DELETE FROM pipelines WHERE project = ? AND name = ?`,
		`DELETE FROM pipeline_versions WHERE project = ? AND name = ?`,
		`DELETE FROM jobs WHERE project = ? AND pipeline = ?`,
		`DELETE FROM datums WHERE project = ? AND pipeline = ?`,
		`DELETE FROM removed_datums WHERE project = ? AND pipeline = ?`,
		`DELETE FROM job_lineage WHERE project = ? AND pipeline = ?`,
		`DELETE FROM logs WHERE project = ? AND pipeline = ?`,
	} {
		if _, err := t.exec(ctx, q, project, name); err != nil {
			return fmt.Errorf("delete pipeline %s: %w", name, err)
		}
	}
	return nil
}

// AddPipelineVersion records a version of a pipeline's spec.
func (t *Tx) AddPipelineVersion(ctx context.Context, project, name string, version int, data []byte) error {
	_, err := t.exec(ctx, `INSERT INTO pipeline_versions (project, name, version, data) VALUES (?, ?, ?, ?)`,
		project, name, version, string(data))
	if err != nil {
		return fmt.Errorf("record pipeline %s version %d: %w", name, version, err)
	}
	return nil
}

// PipelineVersions returns a pipeline's versions, newest first.
func (t *Tx) PipelineVersions(ctx context.Context, project, name string, limit int) ([][]byte, error) {
	out, err := t.docs(ctx, `SELECT data FROM pipeline_versions WHERE project = ? AND name = ? ORDER BY version DESC LIMIT ?`,
		project, name, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("list versions of %s: %w", name, err)
	}
	return out, nil
}

// PutJob stores a job.
func (t *Tx) PutJob(ctx context.Context, project, pipeline, id, state string, created time.Time, data []byte) error {
	_, err := t.exec(ctx, `INSERT INTO jobs (project, pipeline, id, state, created, data) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (project, pipeline, id) DO UPDATE SET state = excluded.state, data = excluded.data`,
		project, pipeline, id, state, nanos(created), string(data))
	if err != nil {
		return fmt.Errorf("store job %s@%s: %w", pipeline, id, err)
	}
	return nil
}

// Job returns a job's document.
func (t *Tx) Job(ctx context.Context, project, pipeline, id string) ([]byte, error) {
	nf := notFound(NotFound{What: MissingJob, Pipeline: pipeline}, "job %s@%s not found", pipeline, id)
	b, err := t.doc(ctx, nf, `SELECT data FROM jobs WHERE project = ? AND pipeline = ? AND id = ?`, project, pipeline, id)
	if err != nil && err != nf {
		return nil, fmt.Errorf("read job %s@%s: %w", pipeline, id, err)
	}
	return b, err
}

// Jobs returns jobs newest first: of one pipeline, or of all when
// pipeline is empty; of one commit set when id is set.
func (t *Tx) Jobs(ctx context.Context, project, pipeline, id string, limit int) ([][]byte, error) {
	q := `SELECT data FROM jobs WHERE project = ?`
	args := []any{project}
	if pipeline != "" {
		q += ` AND pipeline = ?`
		args = append(args, pipeline)
	}
	if id != "" {
		q += ` AND id = ?`
		args = append(args, id)
	}
	q += ` ORDER BY created DESC, pipeline LIMIT ?`
	out, err := t.docs(ctx, q, append(args, sqlLimit(limit))...)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return out, nil
}

// UnfinishedJobs returns a pipeline's jobs that are not in a final state,
// oldest first.
func (t *Tx) UnfinishedJobs(ctx context.Context, project, pipeline string) ([][]byte, error) {
	out, err := t.docs(ctx, `SELECT data FROM jobs WHERE project = ? AND pipeline = ?
		AND state NOT IN ('SUCCESS', 'FAILURE', 'KILLED', 'UNRUNNABLE') ORDER BY created, id`, project, pipeline)
	if err != nil {
		return nil, fmt.Errorf("list unfinished jobs of %s: %w", pipeline, err)
	}
	return out, nil
}

// DeleteJob removes a job with its datums and logs, but for what later
// jobs share through the lineage (see lineage.go): the rows of a job that
// succeeded, and its place in the lineage.
func (t *Tx) DeleteJob(ctx context.Context, project, pipeline, id string) error {
	for _, q := range []string{
		`DELETE FROM jobs WHERE project = ? AND pipeline = ? AND id = ?`,
		`DELETE FROM datums WHERE project = ? AND pipeline = ? AND job = ? AND born = 0`,
		`DELETE FROM removed_datums WHERE project = ? AND pipeline = ? AND job = ?`,
		`DELETE FROM job_lineage WHERE project = ? AND pipeline = ? AND job = ? AND gen = 0`,
		`DELETE FROM logs WHERE project = ? AND pipeline = ? AND job = ?`,
	} {
		if _, err := t.exec(ctx, q, project, pipeline, id); err != nil {
			return fmt.Errorf("delete job %s@%s: %w", pipeline, id, err)
		}
	}
	return nil
}

// PutDatum stores a datum; leaseUntil matters for running datums only.
func (t *Tx) PutDatum(ctx context.Context, project, pipeline, job, id string, idx int64, state string, leaseUntil time.Time, data []byte) error {
	_, err := t.exec(ctx, `INSERT INTO datums (project, pipeline, job, id, idx, state, lease_until, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (project, pipeline, job, id) DO UPDATE SET state = excluded.state, lease_until = excluded.lease_until, data = excluded.data`,
		project, pipeline, job, id, idx, state, nanos(leaseUntil), string(data))
	if err != nil {
		return fmt.Errorf("store datum %s of %s@%s: %w", id, pipeline, job, err)
	}
	return nil
}

// Datum returns a datum's document.
func (t *Tx) Datum(ctx context.Context, project, pipeline, job, id string) ([]byte, error) {
	nf := notFound(NotFound{What: MissingDatum, Pipeline: pipeline, Job: job}, "datum %s not found in job %s@%s", id, pipeline, job)
	b, err := t.doc(ctx, nf, `SELECT data FROM datums WHERE project = ? AND pipeline = ? AND job = ? AND id = ?`, project, pipeline, job, id)
	if err != nil && err != nf {
		return nil, fmt.Errorf("read datum %s: %w", id, err)
	}
	return b, err
}

// Datums returns a job's datums in index order after index after
// (-1 for the start), optionally only those in one state, skipping the
// first offset of them.
func (t *Tx) Datums(ctx context.Context, project, pipeline, job, state string, after int64, offset, limit int) ([][]byte, error) {
	q := `SELECT data FROM datums WHERE project = ? AND pipeline = ? AND job = ? AND idx > ?`
	args := []any{project, pipeline, job, after}
	if state != "" {
		q += ` AND state = ?`
		args = append(args, state)
	}
	q += ` ORDER BY idx LIMIT ? OFFSET ?`
	out, err := t.docs(ctx, q, append(args, sqlLimit(limit), offset)...)
	if err != nil {
		return nil, fmt.Errorf("list datums of %s@%s: %w", pipeline, job, err)
	}
	return out, nil
}

// HasDatums reports whether a job has a datum in one of the states, in
// one statement that looks up each state by equality in the state index
// (given the states as a list, PostgreSQL's planner may leave the state
// to a filter over every datum of the job).
func (t *Tx) HasDatums(ctx context.Context, project, pipeline, job string, states ...string) (bool, error) {
	if len(states) == 0 {
		return false, nil
	}
	var exists []string
	var args []any
	for _, s := range states {
		exists = append(exists, `EXISTS (SELECT 1 FROM datums WHERE project = ? AND pipeline = ? AND job = ? AND state = ?)`)
		args = append(args, project, pipeline, job, s)
	}
	var found bool
	if err := t.queryRow(ctx, `SELECT `+strings.Join(exists, " OR "), args...).Scan(&found); err != nil {
		return false, fmt.Errorf("look for %s datums of %s@%s: %w", strings.Join(states, ", "), pipeline, job, err)
	}
	return found, nil
}

// CountDatums returns how many datums of a job are in each state.
func (t *Tx) CountDatums(ctx context.Context, project, pipeline, job string) (map[string]int64, error) {
	rows, err := t.query(ctx, `SELECT state, COUNT(*) FROM datums WHERE project = ? AND pipeline = ? AND job = ? GROUP BY state`,
		project, pipeline, job)
	if err != nil {
		return nil, fmt.Errorf("count datums of %s@%s: %w", pipeline, job, err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var s string
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

// AppendLog stores a log line as line seq of its log, and reports whether
// it did: false if the log has a line seq already.
func (t *Tx) AppendLog(ctx context.Context, project, pipeline, job, datum string, seq int64, data []byte) (bool, error) {
	res, err := t.exec(ctx, `INSERT INTO logs (project, pipeline, job, datum, seq, data) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, project, pipeline, job, datum, seq, string(data))
	if err != nil {
		return false, fmt.Errorf("store log line: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store log line: %w", err)
	}
	return n == 1, nil
}

// LogSize returns the highest sequence number of a datum's log lines, or
// -1, and the bytes of its lines as stored.
func (t *Tx) LogSize(ctx context.Context, project, pipeline, job, datum string) (last, size int64, err error) {
	var n, b *int64
	err = t.queryRow(ctx, `SELECT MAX(seq), SUM(OCTET_LENGTH(data)) FROM logs WHERE project = ? AND pipeline = ? AND job = ? AND datum = ?`,
		project, pipeline, job, datum).Scan(&n, &b)
	if err != nil {
		return 0, 0, fmt.Errorf("read log position: %w", err)
	}
	if n == nil {
		return -1, 0, nil
	}
	return *n, *b, nil
}

// Logs returns log lines of a pipeline, optionally of one job and datum,
// in (job, datum, seq) order.
func (t *Tx) Logs(ctx context.Context, project, pipeline, job, datum string) ([][]byte, error) {
	q := `SELECT data FROM logs WHERE project = ? AND pipeline = ?`
	args := []any{project, pipeline}
	if job != "" {
		q += ` AND job = ?`
		args = append(args, job)
	}
	if datum != "" {
		q += ` AND datum = ?`
		args = append(args, datum)
	}
	out, err := t.docs(ctx, q+` ORDER BY job, datum, seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("read logs of %s: %w", pipeline, err)
	}
	return out, nil
}
