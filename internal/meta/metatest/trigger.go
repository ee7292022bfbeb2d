package metatest

import (
	"testing"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// testBranchTrigger: a trigger is stored with its branch, replaced,
// listed (all, by repo, cron only), removed, and goes with its branch.
func testBranchTrigger(t *testing.T, db *meta.DB) {
	ctx := t.Context()
	putBranch(t, db, "images", "staging", "c1")
	putBranch(t, db, "images", "master", "c1")
	putBranch(t, db, "edges", "master", "e1")
	trig := &tusk.Trigger{Branch: "staging", All: true, Cron: "@hourly", Size: "1MB", Commits: 3}
	update(t, db, func(tx *meta.Tx) error { return tx.SetBranchTrigger(ctx, project, "images", "master", trig) })
	diff(t, "stored trigger", trig, branch(t, db, "images", "master").Trigger)
	if b := branch(t, db, "images", "staging"); b.Trigger != nil {
		t.Errorf("the watched branch has a trigger %+v", b.Trigger)
	}

	plain := &tusk.Trigger{Branch: "master", Commits: 1}
	update(t, db, func(tx *meta.Tx) error { return tx.SetBranchTrigger(ctx, project, "edges", "master", plain) })
	list := func(repo string, cronOnly bool) []tusk.BranchRef {
		return get(t, db, func(tx *meta.Tx) ([]tusk.BranchRef, error) {
			return tx.TriggeredBranches(ctx, project, repo, cronOnly)
		})
	}
	diff(t, "all triggered", []tusk.BranchRef{{Repo: "edges", Branch: "master"}, {Repo: "images", Branch: "master"}}, list("", false))
	diff(t, "triggered in edges", []tusk.BranchRef{{Repo: "edges", Branch: "master"}}, list("edges", false))
	diff(t, "cron triggered", []tusk.BranchRef{{Repo: "images", Branch: "master"}}, list("", true))

	update(t, db, func(tx *meta.Tx) error { return tx.SetBranchTrigger(ctx, project, "images", "master", plain) })
	diff(t, "replaced trigger", plain, branch(t, db, "images", "master").Trigger)
	update(t, db, func(tx *meta.Tx) error { return tx.SetBranchTrigger(ctx, project, "images", "master", nil) })
	if b := branch(t, db, "images", "master"); b.Trigger != nil {
		t.Errorf("removed trigger still there: %+v", b.Trigger)
	}

	update(t, db, func(tx *meta.Tx) error { return tx.DeleteBranch(ctx, project, "edges", "master") })
	update(t, db, func(tx *meta.Tx) error { return tx.DeleteRepo(ctx, project, "images") })
	diff(t, "after deletes", []tusk.BranchRef(nil), list("", false))
}
