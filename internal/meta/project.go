package meta

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/tuskdata/tusk/internal/tusk"
)

// CreateProject inserts a project; one of that name is tusk.ErrExists.
func (t *Tx) CreateProject(ctx context.Context, p tusk.Project) error {
	_, err := t.exec(ctx, `INSERT INTO projects (name, description, created) VALUES (?, ?, ?)`,
		p.Name, p.Description, nanos(p.Created))
	if isUniqueViolation(err) {
		return tusk.Errorf(tusk.KindExists, "project %q already exists", p.Name)
	}
	if err != nil {
		return fmt.Errorf("create project %s: %w", p.Name, err)
	}
	return nil
}

// Project returns a project, or a NotFound.
func (t *Tx) Project(ctx context.Context, name string) (tusk.Project, error) {
	p := tusk.Project{Name: name}
	var created int64
	err := t.queryRow(ctx, `SELECT description, created FROM projects WHERE name = ?`, name).Scan(&p.Description, &created)
	if isNoRows(err) {
		return p, notFound(NotFound{What: MissingProject}, "project %q not found", name)
	}
	if err != nil {
		return p, fmt.Errorf("read project %s: %w", name, err)
	}
	p.Created = fromNanos(created)
	return p, nil
}

// Projects lists the projects by name.
func (t *Tx) Projects(ctx context.Context) ([]tusk.Project, error) {
	rows, err := t.query(ctx, `SELECT name, description, created FROM projects ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	defer rows.Close()
	var out []tusk.Project
	for rows.Next() {
		var p tusk.Project
		var created int64
		if err := rows.Scan(&p.Name, &p.Description, &created); err != nil {
			return nil, fmt.Errorf("list projects: %w", err)
		}
		p.Created = fromNanos(created)
		out = append(out, p)
	}
	return out, rows.Err()
}

// UpdateProjectDescription sets a project's description; a project not
// stored is a NotFound.
func (t *Tx) UpdateProjectDescription(ctx context.Context, name, desc string) error {
	res, err := t.exec(ctx, `UPDATE projects SET description = ? WHERE name = ?`, desc, name)
	if err != nil {
		return fmt.Errorf("update project %s: %w", name, err)
	}
	return affectedProject(res, name)
}

// DeleteProject removes a project's row; what the project holds is the
// caller's to check first. A project not stored is a NotFound.
func (t *Tx) DeleteProject(ctx context.Context, name string) error {
	res, err := t.exec(ctx, `DELETE FROM projects WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("delete project %s: %w", name, err)
	}
	return affectedProject(res, name)
}

// affectedProject is the outcome of a change to the project name: a
// NotFound when it changed no row.
func affectedProject(res sql.Result, name string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("change project %s: %w", name, err)
	}
	if n == 0 {
		return notFound(NotFound{What: MissingProject}, "project %q not found", name)
	}
	return nil
}

// ProjectContents returns the names of the repos and pipelines of a
// project.
func (t *Tx) ProjectContents(ctx context.Context, name string) (repos, pipelines []string, err error) {
	if repos, err = t.names(ctx, `SELECT name FROM repos WHERE project = ? ORDER BY name`, name); err != nil {
		return nil, nil, fmt.Errorf("list the repos of project %s: %w", name, err)
	}
	if pipelines, err = t.names(ctx, `SELECT name FROM pipelines WHERE project = ? ORDER BY name`, name); err != nil {
		return nil, nil, fmt.Errorf("list the pipelines of project %s: %w", name, err)
	}
	return repos, pipelines, nil
}

// orProject is the project of a reference stored with a row of project:
// its own, or the row's when it names none.
func orProject(ref, project string) string {
	if ref == "" {
		return project
	}
	return ref
}

// elsewhere is the project of a reference read with a row of project as
// callers get it: empty when it is the row's own, so that references
// within a project read back as they were written.
func elsewhere(ref, project string) string {
	if ref == project {
		return ""
	}
	return ref
}
