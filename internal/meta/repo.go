package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tuskdata/tusk/internal/tusk"
)

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// CreateRepo inserts a repo; a repo of that name is tusk.ErrExists.
func (t *Tx) CreateRepo(ctx context.Context, r tusk.Repo) error {
	_, err := t.exec(ctx, `INSERT INTO repos (project, name, type, description, created) VALUES (?, ?, ?, ?, ?)`,
		r.Project, r.Name, r.Type, r.Description, nanos(r.Created))
	if isUniqueViolation(err) {
		return tusk.Errorf(tusk.KindExists, "repo %q already exists", r.Name)
	}
	if err != nil {
		return fmt.Errorf("create repo %s: %w", r.Name, err)
	}
	return nil
}

// UpdateRepoDescription sets a repo's description.
func (t *Tx) UpdateRepoDescription(ctx context.Context, project, name, desc string) error {
	_, err := t.exec(ctx, `UPDATE repos SET description = ? WHERE project = ? AND name = ?`, desc, project, name)
	if err != nil {
		return fmt.Errorf("update repo %s: %w", name, err)
	}
	return nil
}

// Repo returns a repo, or an error of kind not found.
func (t *Tx) Repo(ctx context.Context, project, name string) (tusk.Repo, error) {
	r := tusk.Repo{Project: project, Name: name}
	var created int64
	err := t.queryRow(ctx, `SELECT type, description, created FROM repos WHERE project = ? AND name = ?`, project, name).
		Scan(&r.Type, &r.Description, &created)
	if isNoRows(err) {
		return r, notFound(NotFound{What: MissingRepo, Repo: name}, "repo %q not found", name)
	}
	if err != nil {
		return r, fmt.Errorf("read repo %s: %w", name, err)
	}
	r.Created = fromNanos(created)
	return r, nil
}

// Repos lists the repos of a project by name.
func (t *Tx) Repos(ctx context.Context, project string) ([]tusk.Repo, error) {
	rows, err := t.query(ctx, `SELECT name, type, description, created FROM repos WHERE project = ? ORDER BY name`, project)
	if err != nil {
		return nil, fmt.Errorf("list repos: %w", err)
	}
	defer rows.Close()
	var out []tusk.Repo
	for rows.Next() {
		r := tusk.Repo{Project: project}
		var created int64
		if err := rows.Scan(&r.Name, &r.Type, &r.Description, &created); err != nil {
			return nil, fmt.Errorf("list repos: %w", err)
		}
		r.Created = fromNanos(created)
		out = append(out, r)
	}
	return out, rows.Err()
}

// DeleteRepo removes a repo with its branches, commits, provenance and
// role bindings.
func (t *Tx) DeleteRepo(ctx context.Context, project, name string) error {
	for _, q := range []string{
		`DELETE FROM repos WHERE project = ? AND name = ?`,
		`DELETE FROM branches WHERE project = ? AND repo = ?`,
		`DELETE FROM branch_provenance WHERE project = ? AND repo = ?`,
		`DELETE FROM branch_triggers WHERE project = ? AND repo = ?`,
		`DELETE FROM commits WHERE project = ? AND repo = ?`,
		`DELETE FROM commit_provenance WHERE project = ? AND repo = ?`,
		`DELETE FROM role_bindings WHERE kind = 'repo' AND project = ? AND name = ?`,
	} {
		if _, err := t.exec(ctx, q, project, name); err != nil {
			return fmt.Errorf("delete repo %s: %w", name, err)
		}
	}
	return nil
}
