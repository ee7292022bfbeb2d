package meta

import (
	"context"
	"fmt"

	"github.com/tuskdata/tusk/internal/tusk"
)

// SetBranchTrigger sets a branch's trigger, or removes it when trig is nil.
func (t *Tx) SetBranchTrigger(ctx context.Context, project, repo, branch string, trig *tusk.Trigger) error {
	if _, err := t.exec(ctx, `DELETE FROM branch_triggers WHERE project = ? AND repo = ? AND branch = ?`, project, repo, branch); err != nil {
		return fmt.Errorf("set the trigger of %s@%s: %w", repo, branch, err)
	}
	if trig == nil {
		return nil
	}
	if _, err := t.exec(ctx, `INSERT INTO branch_triggers (project, repo, branch, watched, require_all, cron, size, commits)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, project, repo, branch, trig.Branch, boolInt(trig.All), trig.Cron, trig.Size, trig.Commits); err != nil {
		return fmt.Errorf("set the trigger of %s@%s: %w", repo, branch, err)
	}
	return nil
}

// BranchTrigger returns a branch's trigger, nil if it has none.
func (t *Tx) BranchTrigger(ctx context.Context, project, repo, branch string) (*tusk.Trigger, error) {
	var trig tusk.Trigger
	var all int
	err := t.queryRow(ctx, `SELECT watched, require_all, cron, size, commits FROM branch_triggers
		WHERE project = ? AND repo = ? AND branch = ?`, project, repo, branch).
		Scan(&trig.Branch, &all, &trig.Cron, &trig.Size, &trig.Commits)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the trigger of %s@%s: %w", repo, branch, err)
	}
	trig.All = all != 0
	return &trig, nil
}

// TriggeredBranches lists the branches with a trigger, of one repo or,
// when repo is empty, of every repo; with cronOnly, those whose trigger
// has a cron schedule.
func (t *Tx) TriggeredBranches(ctx context.Context, project, repo string, cronOnly bool) ([]tusk.BranchRef, error) {
	rows, err := t.query(ctx, `SELECT repo, branch, cron FROM branch_triggers WHERE project = ? ORDER BY repo, branch`, project)
	if err != nil {
		return nil, fmt.Errorf("list triggered branches: %w", err)
	}
	defer rows.Close()
	var out []tusk.BranchRef
	for rows.Next() {
		var r tusk.BranchRef
		var cron string
		if err := rows.Scan(&r.Repo, &r.Branch, &cron); err != nil {
			return nil, fmt.Errorf("list triggered branches: %w", err)
		}
		if (repo == "" || r.Repo == repo) && (!cronOnly || cron != "") {
			out = append(out, r)
		}
	}
	return out, rows.Err()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
