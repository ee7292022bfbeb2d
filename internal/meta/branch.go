package meta

import (
	"context"
	"fmt"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

// PutBranch creates a branch or moves its head.
func (t *Tx) PutBranch(ctx context.Context, project, repo, name, head string, created time.Time) error {
	_, err := t.exec(ctx, `INSERT INTO branches (project, repo, name, head, created) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (project, repo, name) DO UPDATE SET head = excluded.head`,
		project, repo, name, head, nanos(created))
	if err != nil {
		return fmt.Errorf("set branch %s@%s: %w", repo, name, err)
	}
	return nil
}

// Branch returns a branch with its direct provenance and subvenance.
func (t *Tx) Branch(ctx context.Context, project, repo, name string) (tusk.Branch, error) {
	b := tusk.Branch{Project: project, Repo: repo, Name: name}
	var created int64
	err := t.queryRow(ctx, `SELECT head, created FROM branches WHERE project = ? AND repo = ? AND name = ?`, project, repo, name).
		Scan(&b.Head, &created)
	if isNoRows(err) {
		return b, notFound(NotFound{What: MissingBranch, Repo: repo}, "branch %q not found in repo %q", name, repo)
	}
	if err != nil {
		return b, fmt.Errorf("read branch %s@%s: %w", repo, name, err)
	}
	b.Created = fromNanos(created)
	if b.Provenance, err = t.branchRefs(ctx, project, `SELECT up_project, up_repo, up_branch FROM branch_provenance
		WHERE project = ? AND repo = ? AND branch = ? ORDER BY up_project, up_repo, up_branch`, project, repo, name); err != nil {
		return b, err
	}
	if b.Subvenance, err = t.branchRefs(ctx, project, `SELECT project, repo, branch FROM branch_provenance
		WHERE up_project = ? AND up_repo = ? AND up_branch = ? ORDER BY project, repo, branch`, project, repo, name); err != nil {
		return b, err
	}
	if b.Trigger, err = t.BranchTrigger(ctx, project, repo, name); err != nil {
		return b, err
	}
	return b, nil
}

// branchRefs reads branches, (project, repo, branch) rows, leaving the
// Project of those in project empty.
func (t *Tx) branchRefs(ctx context.Context, project, q string, args ...any) ([]tusk.BranchRef, error) {
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read branch provenance: %w", err)
	}
	defer rows.Close()
	var out []tusk.BranchRef
	for rows.Next() {
		var r tusk.BranchRef
		if err := rows.Scan(&r.Project, &r.Repo, &r.Branch); err != nil {
			return nil, fmt.Errorf("read branch provenance: %w", err)
		}
		r.Project = elsewhere(r.Project, project)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Branches lists a repo's branches by name.
func (t *Tx) Branches(ctx context.Context, project, repo string) ([]tusk.Branch, error) {
	rows, err := t.query(ctx, `SELECT name FROM branches WHERE project = ? AND repo = ? ORDER BY name`, project, repo)
	if err != nil {
		return nil, fmt.Errorf("list branches of %s: %w", repo, err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list branches of %s: %w", repo, err)
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]tusk.Branch, 0, len(names))
	for _, n := range names {
		b, err := t.Branch(ctx, project, repo, n)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// DeleteBranch removes a branch and its provenance edges.
func (t *Tx) DeleteBranch(ctx context.Context, project, repo, name string) error {
	for _, q := range []string{
		`DELETE FROM branches WHERE project = ? AND repo = ? AND name = ?`,
		`DELETE FROM branch_provenance WHERE project = ? AND repo = ? AND branch = ?`,
		`DELETE FROM branch_triggers WHERE project = ? AND repo = ? AND branch = ?`,
	} {
		if _, err := t.exec(ctx, q, project, repo, name); err != nil {
			return fmt.Errorf("delete branch %s@%s: %w", repo, name, err)
		}
	}
	return nil
}

// SetBranchProvenance replaces a branch's direct provenance; a BranchRef
// with no Project is of the branch's own project.
func (t *Tx) SetBranchProvenance(ctx context.Context, project, repo, name string, prov []tusk.BranchRef) error {
	if _, err := t.exec(ctx, `DELETE FROM branch_provenance WHERE project = ? AND repo = ? AND branch = ?`, project, repo, name); err != nil {
		return fmt.Errorf("set provenance of %s@%s: %w", repo, name, err)
	}
	for _, p := range prov {
		if _, err := t.exec(ctx, `INSERT INTO branch_provenance (project, repo, branch, up_project, up_repo, up_branch) VALUES (?, ?, ?, ?, ?, ?)`,
			project, repo, name, orProject(p.Project, project), p.Repo, p.Branch); err != nil {
			return fmt.Errorf("set provenance of %s@%s: %w", repo, name, err)
		}
	}
	return nil
}
