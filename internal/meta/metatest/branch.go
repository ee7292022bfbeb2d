package metatest

import (
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

func branch(t *testing.T, db *meta.DB, repo, name string) tusk.Branch {
	t.Helper()
	return get(t, db, func(tx *meta.Tx) (tusk.Branch, error) { return tx.Branch(t.Context(), project, repo, name) })
}

func putBranch(t *testing.T, db *meta.DB, repo, name, head string) {
	t.Helper()
	update(t, db, func(tx *meta.Tx) error { return tx.PutBranch(t.Context(), project, repo, name, head, t0) })
}

func setProvenance(t *testing.T, db *meta.DB, repo, name string, prov ...tusk.BranchRef) {
	t.Helper()
	update(t, db, func(tx *meta.Tx) error { return tx.SetBranchProvenance(t.Context(), project, repo, name, prov) })
}

func testBranchPutMoveGet(t *testing.T, db *meta.DB) {
	ctx := t.Context()
	update(t, db, func(tx *meta.Tx) error { return tx.PutBranch(ctx, project, "images", "master", "c1", t0) })
	diff(t, "new branch", tusk.Branch{Project: project, Repo: "images", Name: "master", Head: "c1", Created: t0}, branch(t, db, "images", "master"))

	// Moving the head keeps the creation time.
	update(t, db, func(tx *meta.Tx) error { return tx.PutBranch(ctx, project, "images", "master", "c2", at(time.Hour)) })
	diff(t, "moved branch", tusk.Branch{Project: project, Repo: "images", Name: "master", Head: "c2", Created: t0}, branch(t, db, "images", "master"))

	update(t, db, func(tx *meta.Tx) error { return tx.PutBranch(ctx, project, "images", "master", "", t0) })
	diff(t, "branch with no head", tusk.Branch{Project: project, Repo: "images", Name: "master", Created: t0}, branch(t, db, "images", "master"))
}

func testBranchNotFound(t *testing.T, db *meta.DB) {
	putBranch(t, db, "images", "master", "c1")
	for _, ref := range []tusk.BranchRef{{Repo: "images", Branch: "dev"}, {Repo: "labels", Branch: "master"}} {
		err := db.View(t.Context(), func(tx *meta.Tx) error {
			_, err := tx.Branch(t.Context(), project, ref.Repo, ref.Branch)
			return err
		})
		wantKind(t, err, tusk.KindNotFound, true)
	}
}

func testBranchList(t *testing.T, db *meta.DB) {
	ctx := t.Context()
	if bs := get(t, db, func(tx *meta.Tx) ([]tusk.Branch, error) { return tx.Branches(ctx, project, "images") }); len(bs) != 0 {
		t.Errorf("Branches of an unknown repo = %v, want none", bs)
	}
	putBranch(t, db, "images", "staging", "c3")
	putBranch(t, db, "images", "dev", "c2")
	putBranch(t, db, "images", "master", "c1")
	putBranch(t, db, "labels", "alpha", "l1")
	setProvenance(t, db, "images", "dev", tusk.BranchRef{Repo: "labels", Branch: "alpha"})
	want := []tusk.Branch{
		{Project: project, Repo: "images", Name: "dev", Head: "c2", Created: t0, Provenance: []tusk.BranchRef{{Repo: "labels", Branch: "alpha"}}},
		{Project: project, Repo: "images", Name: "master", Head: "c1", Created: t0},
		{Project: project, Repo: "images", Name: "staging", Head: "c3", Created: t0},
	}
	got := get(t, db, func(tx *meta.Tx) ([]tusk.Branch, error) { return tx.Branches(ctx, project, "images") })
	diff(t, "branches", want, got)
}

func testBranchDelete(t *testing.T, db *meta.DB) {
	ctx := t.Context()
	putBranch(t, db, "up", "master", "u1")
	putBranch(t, db, "down", "master", "d1")
	putBranch(t, db, "down", "dev", "d2")
	setProvenance(t, db, "down", "master", tusk.BranchRef{Repo: "up", Branch: "master"})
	setProvenance(t, db, "down", "dev", tusk.BranchRef{Repo: "up", Branch: "master"})
	update(t, db, func(tx *meta.Tx) error { return tx.DeleteBranch(ctx, project, "down", "master") })

	err := db.View(ctx, func(tx *meta.Tx) error {
		_, err := tx.Branch(ctx, project, "down", "master")
		return err
	})
	wantKind(t, err, tusk.KindNotFound, true)
	diff(t, "subvenance of up@master", []tusk.BranchRef{{Repo: "down", Branch: "dev"}}, branch(t, db, "up", "master").Subvenance)
	diff(t, "remaining branch", tusk.Branch{Project: project, Repo: "down", Name: "dev", Head: "d2", Created: t0,
		Provenance: []tusk.BranchRef{{Repo: "up", Branch: "master"}}}, branch(t, db, "down", "dev"))

	// Recreating the branch does not bring its old provenance back.
	putBranch(t, db, "down", "master", "d3")
	diff(t, "recreated branch", tusk.Branch{Project: project, Repo: "down", Name: "master", Head: "d3", Created: t0}, branch(t, db, "down", "master"))
}

func testBranchProvenance(t *testing.T, db *meta.DB) {
	for _, b := range []tusk.BranchRef{{Repo: "a", Branch: "master"}, {Repo: "b", Branch: "dev"}, {Repo: "b", Branch: "master"}, {Repo: "out", Branch: "master"}} {
		putBranch(t, db, b.Repo, b.Branch, "")
	}
	a := tusk.BranchRef{Repo: "a", Branch: "master"}
	bDev := tusk.BranchRef{Repo: "b", Branch: "dev"}
	bMaster := tusk.BranchRef{Repo: "b", Branch: "master"}
	out := tusk.BranchRef{Repo: "out", Branch: "master"}

	setProvenance(t, db, "out", "master", bMaster, a, bDev)
	diff(t, "provenance", []tusk.BranchRef{a, bDev, bMaster}, branch(t, db, "out", "master").Provenance)
	for _, up := range []tusk.BranchRef{a, bDev, bMaster} {
		diff(t, "subvenance of "+up.String(), []tusk.BranchRef{out}, branch(t, db, up.Repo, up.Branch).Subvenance)
	}
	if got := branch(t, db, "a", "master").Provenance; len(got) != 0 {
		t.Errorf("provenance of a@master = %v, want none", got)
	}

	setProvenance(t, db, "out", "master", bDev)
	diff(t, "replaced provenance", []tusk.BranchRef{bDev}, branch(t, db, "out", "master").Provenance)
	diff(t, "subvenance of b@dev after replace", []tusk.BranchRef{out}, branch(t, db, "b", "dev").Subvenance)
	if got := branch(t, db, "a", "master").Subvenance; len(got) != 0 {
		t.Errorf("subvenance of a@master after replace = %v, want none", got)
	}

	setProvenance(t, db, "b", "master", a)
	diff(t, "subvenance of a@master, from b", []tusk.BranchRef{bMaster}, branch(t, db, "a", "master").Subvenance)

	setProvenance(t, db, "out", "master")
	if got := branch(t, db, "out", "master").Provenance; len(got) != 0 {
		t.Errorf("provenance of out@master after clearing = %v, want none", got)
	}
	if got := branch(t, db, "b", "dev").Subvenance; len(got) != 0 {
		t.Errorf("subvenance of b@dev after clearing = %v, want none", got)
	}
}
