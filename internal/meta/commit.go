package meta

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

// CommitRow is a commit as stored.
type CommitRow struct {
	tusk.Commit
}

const commitCols = `project, repo, id, branch, parent, origin, state, description, error, root, started, finished, size, files`

type scanner interface{ Scan(...any) error }

func scanCommit(s scanner) (CommitRow, error) {
	var c CommitRow
	var started, finished int64
	err := s.Scan(&c.Project, &c.Repo, &c.ID, &c.Branch, &c.Parent, &c.Origin, &c.State, &c.Description, &c.Error,
		&c.Root, &started, &finished, &c.SizeBytes, &c.Files)
	if err != nil {
		return c, err
	}
	c.Started = fromNanos(started)
	if finished != 0 {
		f := fromNanos(finished)
		c.Finished = &f
	}
	return c, nil
}

func finishedNanos(f *time.Time) int64 {
	if f == nil {
		return 0
	}
	return nanos(*f)
}

// InsertCommit stores a new commit.
func (t *Tx) InsertCommit(ctx context.Context, project string, c CommitRow) error {
	_, err := t.exec(ctx, `INSERT INTO commits (`+commitCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		project, c.Repo, c.ID, c.Branch, c.Parent, c.Origin, c.State, c.Description, c.Error, c.Root,
		nanos(c.Started), finishedNanos(c.Finished), c.SizeBytes, c.Files)
	if isUniqueViolation(err) {
		return tusk.Errorf(tusk.KindExists, "commit %s@%s already exists", c.Repo, c.ID)
	}
	if err != nil {
		return fmt.Errorf("insert commit %s@%s: %w", c.Repo, c.ID, err)
	}
	return nil
}

// UpdateCommit rewrites a commit's mutable fields.
func (t *Tx) UpdateCommit(ctx context.Context, project string, c CommitRow) error {
	_, err := t.exec(ctx, `UPDATE commits SET branch = ?, parent = ?, state = ?, description = ?, error = ?, root = ?,
		finished = ?, size = ?, files = ? WHERE project = ? AND repo = ? AND id = ?`,
		c.Branch, c.Parent, c.State, c.Description, c.Error, c.Root, finishedNanos(c.Finished),
		c.SizeBytes, c.Files, project, c.Repo, c.ID)
	if err != nil {
		return fmt.Errorf("update commit %s@%s: %w", c.Repo, c.ID, err)
	}
	return nil
}

// UpdateRootIf sets an open commit's root only if it is still oldRoot, so
// that concurrent writers into one open commit never lose each other's
// changes. It reports whether the update happened.
func (t *Tx) UpdateRootIf(ctx context.Context, project, repo, id, oldRoot, newRoot string, size, files int64) (bool, error) {
	res, err := t.exec(ctx, `UPDATE commits SET root = ?, size = ?, files = ?
		WHERE project = ? AND repo = ? AND id = ? AND root = ? AND state = ?`,
		newRoot, size, files, project, repo, id, oldRoot, tusk.CommitStarted)
	if err != nil {
		return false, fmt.Errorf("update commit %s@%s: %w", repo, id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Commit returns a commit, or an error of kind not found.
func (t *Tx) Commit(ctx context.Context, project, repo, id string) (CommitRow, error) {
	c, err := scanCommit(t.queryRow(ctx, `SELECT `+commitCols+` FROM commits WHERE project = ? AND repo = ? AND id = ?`, project, repo, id))
	if isNoRows(err) {
		return c, notFound(NotFound{What: MissingCommit, Repo: repo}, "commit %s@%s not found", repo, id)
	}
	if err != nil {
		return c, fmt.Errorf("read commit %s@%s: %w", repo, id, err)
	}
	return c, nil
}

func (t *Tx) commits(ctx context.Context, q string, args ...any) ([]CommitRow, error) {
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list commits: %w", err)
	}
	defer rows.Close()
	var out []CommitRow
	for rows.Next() {
		c, err := scanCommit(rows)
		if err != nil {
			return nil, fmt.Errorf("list commits: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Children returns the IDs of a commit's children.
func (t *Tx) Children(ctx context.Context, project, repo, id string) ([]string, error) {
	cs, err := t.commits(ctx, `SELECT `+commitCols+` FROM commits WHERE project = ? AND repo = ? AND parent = ? ORDER BY started, id`, project, repo, id)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids, nil
}

// Ancestry returns up to limit commits starting at id and following
// parents (id first). limit <= 0 means no limit.
func (t *Tx) Ancestry(ctx context.Context, project, repo, id string, limit int) ([]CommitRow, error) {
	return t.commits(ctx, `WITH RECURSIVE chain(id, n) AS (
			SELECT ?, 0
			UNION ALL
			SELECT c.parent, chain.n + 1 FROM commits c JOIN chain ON c.project = ? AND c.repo = ? AND c.id = chain.id
			WHERE c.parent <> ''
		)
		SELECT `+prefixed("c.", commitCols)+` FROM chain JOIN commits c ON c.project = ? AND c.repo = ? AND c.id = chain.id
		ORDER BY chain.n LIMIT ?`, id, project, repo, project, repo, sqlLimit(limit))
}

// RepoCommits lists a repo's commits newest first, starting after the
// cursor (started, id) when it is set.
func (t *Tx) RepoCommits(ctx context.Context, project, repo string, before *CommitRow, limit int) ([]CommitRow, error) {
	if before == nil {
		return t.commits(ctx, `SELECT `+commitCols+` FROM commits WHERE project = ? AND repo = ?
			ORDER BY started DESC, id DESC LIMIT ?`, project, repo, sqlLimit(limit))
	}
	s := nanos(before.Started)
	return t.commits(ctx, `SELECT `+commitCols+` FROM commits WHERE project = ? AND repo = ?
		AND (started < ? OR (started = ? AND id < ?)) ORDER BY started DESC, id DESC LIMIT ?`,
		project, repo, s, s, before.ID, sqlLimit(limit))
}

// CommitSet returns every commit with the given ID, across repos and
// projects (a pipeline's output commit shares its ID with the input
// commit of another project that it was made from).
func (t *Tx) CommitSet(ctx context.Context, id string) ([]CommitRow, error) {
	return t.commits(ctx, `SELECT `+commitCols+` FROM commits WHERE id = ? ORDER BY project, repo`, id)
}

// AllRoots returns the tree roots of every commit, for the garbage
// collector's mark phase.
func (t *Tx) AllRoots(ctx context.Context) ([]string, error) {
	rows, err := t.query(ctx, `SELECT DISTINCT root FROM commits WHERE root <> ''`)
	if err != nil {
		return nil, fmt.Errorf("list roots: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, fmt.Errorf("list roots: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// DeleteCommit removes a commit and its provenance rows.
func (t *Tx) DeleteCommit(ctx context.Context, project, repo, id string) error {
	for _, q := range []string{
		`DELETE FROM commits WHERE project = ? AND repo = ? AND id = ?`,
		`DELETE FROM commit_provenance WHERE project = ? AND repo = ? AND id = ?`,
	} {
		if _, err := t.exec(ctx, q, project, repo, id); err != nil {
			return fmt.Errorf("delete commit %s@%s: %w", repo, id, err)
		}
	}
	return nil
}

// AddCommitProvenance records that a commit was derived from another,
// of up.Project (empty: the commit's own project).
func (t *Tx) AddCommitProvenance(ctx context.Context, project, repo, id string, up tusk.CommitRef) error {
	_, err := t.exec(ctx, `INSERT INTO commit_provenance (project, repo, id, up_project, up_repo, up_branch, up_id) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, project, repo, id, orProject(up.Project, project), up.Repo, up.Branch, up.ID)
	if err != nil {
		return fmt.Errorf("add provenance to %s@%s: %w", repo, id, err)
	}
	return nil
}

// ClearCommitProvenance forgets a commit's provenance, before it is
// recorded anew.
func (t *Tx) ClearCommitProvenance(ctx context.Context, project, repo, id string) error {
	_, err := t.exec(ctx, `DELETE FROM commit_provenance WHERE project = ? AND repo = ? AND id = ?`, project, repo, id)
	if err != nil {
		return fmt.Errorf("clear provenance of %s@%s: %w", repo, id, err)
	}
	return nil
}

// CommitProvenance returns a commit's direct provenance; the Project of
// a commit in the same project is left empty.
func (t *Tx) CommitProvenance(ctx context.Context, project, repo, id string) ([]tusk.CommitRef, error) {
	rows, err := t.query(ctx, `SELECT up_project, up_repo, up_branch, up_id FROM commit_provenance
		WHERE project = ? AND repo = ? AND id = ? ORDER BY up_project, up_repo, up_id`, project, repo, id)
	if err != nil {
		return nil, fmt.Errorf("read provenance of %s@%s: %w", repo, id, err)
	}
	defer rows.Close()
	var out []tusk.CommitRef
	for rows.Next() {
		var r tusk.CommitRef
		if err := rows.Scan(&r.Project, &r.Repo, &r.Branch, &r.ID); err != nil {
			return nil, fmt.Errorf("read provenance of %s@%s: %w", repo, id, err)
		}
		r.Project = elsewhere(r.Project, project)
		out = append(out, r)
	}
	return out, rows.Err()
}

// sqlLimit turns a limit where <= 0 means none into a LIMIT value both
// dialects accept: PostgreSQL rejects SQLite's -1.
func sqlLimit(limit int) int64 {
	if limit <= 0 {
		return math.MaxInt64
	}
	return int64(limit)
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}
