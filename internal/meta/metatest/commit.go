package metatest

import (
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

func commit(t *testing.T, db *meta.DB, repo, id string) meta.CommitRow {
	t.Helper()
	return get(t, db, func(tx *meta.Tx) (meta.CommitRow, error) { return tx.Commit(t.Context(), project, repo, id) })
}

func commitErr(t *testing.T, db *meta.DB, repo, id string) error {
	t.Helper()
	return db.View(t.Context(), func(tx *meta.Tx) error {
		_, err := tx.Commit(t.Context(), project, repo, id)
		return err
	})
}

func finished(c meta.CommitRow, root string, at time.Time) meta.CommitRow {
	c.State, c.Root, c.Finished = tusk.CommitFinished, root, &at
	return c
}

func testCommitInsertGet(t *testing.T, db *meta.DB) {
	open := newCommit("images", "c2", "c1", at(time.Second))
	open.Origin, open.Description, open.Root, open.SizeBytes, open.Files = tusk.OriginAuto, "open", "r2", 1<<40, 7
	done := finished(newCommit("images", "c1", "", t0), "r1", at(time.Minute))
	done.Error, done.Description = "pipeline failed", "done"
	insertCommits(t, db, open, done)
	diff(t, "open commit", open, commit(t, db, "images", "c2"))
	diff(t, "finished commit", done, commit(t, db, "images", "c1"))
}

func testCommitDuplicate(t *testing.T, db *meta.DB) {
	first := newCommit("images", "c1", "", t0)
	insertCommits(t, db, first)
	second := finished(newCommit("images", "c1", "c0", at(time.Hour)), "r", at(time.Hour))
	err := db.Update(t.Context(), func(tx *meta.Tx) error { return tx.InsertCommit(t.Context(), project, second) })
	wantKind(t, err, tusk.KindExists, false)
	diff(t, "commit after duplicate insert", first, commit(t, db, "images", "c1"))

	// The same ID in another repo is another commit of the same commit set.
	other := newCommit("labels", "c1", "", t0)
	insertCommits(t, db, other)
	diff(t, "same ID in another repo", other, commit(t, db, "labels", "c1"))
}

func testCommitNotFound(t *testing.T, db *meta.DB) {
	insertCommits(t, db, newCommit("images", "c1", "", t0))
	wantKind(t, commitErr(t, db, "images", "c2"), tusk.KindNotFound, true)
	wantKind(t, commitErr(t, db, "labels", "c1"), tusk.KindNotFound, true)
}

func testCommitUpdate(t *testing.T, db *meta.DB) {
	orig := newCommit("images", "c2", "c1", t0)
	insertCommits(t, db, orig, newCommit("images", "c3", "c2", t0))
	upd := orig
	upd.Branch, upd.Parent, upd.Description, upd.Error = "dev", "c0", "updated", "oops"
	upd.SizeBytes, upd.Files = 42, 3
	upd = finished(upd, "root", at(time.Minute))
	// Origin and Started are fixed at insert time: UpdateCommit leaves them.
	changed := upd
	changed.Origin, changed.Started = tusk.OriginAuto, at(time.Hour)
	update(t, db, func(tx *meta.Tx) error { return tx.UpdateCommit(t.Context(), project, changed) })
	diff(t, "updated commit", upd, commit(t, db, "images", "c2"))
	diff(t, "other commit", newCommit("images", "c3", "c2", t0), commit(t, db, "images", "c3"))
}

func updateRootIf(t *testing.T, db *meta.DB, id, oldRoot, newRoot string, size, files int64) bool {
	t.Helper()
	var ok bool
	update(t, db, func(tx *meta.Tx) (err error) {
		ok, err = tx.UpdateRootIf(t.Context(), project, "images", id, oldRoot, newRoot, size, files)
		return err
	})
	return ok
}

func testCommitUpdateRootIf(t *testing.T, db *meta.DB) {
	c := newCommit("images", "c1", "", t0)
	c.Root = "r0"
	insertCommits(t, db, c)

	if !updateRootIf(t, db, "c1", "r0", "r1", 10, 2) {
		t.Fatal("UpdateRootIf from the current root = false, want true")
	}
	if updateRootIf(t, db, "c1", "r0", "r2", 20, 4) {
		t.Error("UpdateRootIf from a stale root = true, want false")
	}
	want := c
	want.Root, want.SizeBytes, want.Files = "r1", 10, 2
	diff(t, "commit after compare-and-swap", want, commit(t, db, "images", "c1"))

	if updateRootIf(t, db, "c2", "", "r3", 1, 1) {
		t.Error("UpdateRootIf of a missing commit = true, want false")
	}

	want = finished(want, "r1", at(time.Minute))
	update(t, db, func(tx *meta.Tx) error { return tx.UpdateCommit(t.Context(), project, want) })
	if updateRootIf(t, db, "c1", "r1", "r4", 30, 6) {
		t.Error("UpdateRootIf of a finished commit = true, want false")
	}
	diff(t, "finished commit", want, commit(t, db, "images", "c1"))
}

func testCommitChildren(t *testing.T, db *meta.DB) {
	insertCommits(t, db,
		newCommit("images", "p", "", t0),
		newCommit("images", "late", "p", at(2*time.Second)),
		newCommit("images", "early", "p", at(time.Second)),
		newCommit("images", "b-tie", "p", at(3*time.Second)),
		newCommit("images", "a-tie", "p", at(3*time.Second)),
		newCommit("images", "grandchild", "early", at(4*time.Second)),
		newCommit("labels", "other", "p", t0),
	)
	children := func(id string) []string {
		return get(t, db, func(tx *meta.Tx) ([]string, error) { return tx.Children(t.Context(), project, "images", id) })
	}
	diff(t, "children of p", []string{"early", "late", "a-tie", "b-tie"}, children("p"))
	diff(t, "children of early", []string{"grandchild"}, children("early"))
	if got := children("grandchild"); len(got) != 0 {
		t.Errorf("children of a leaf = %v, want none", got)
	}
}

func commitProvenance(t *testing.T, db *meta.DB, repo, id string) []tusk.CommitRef {
	t.Helper()
	return get(t, db, func(tx *meta.Tx) ([]tusk.CommitRef, error) {
		return tx.CommitProvenance(t.Context(), project, repo, id)
	})
}

func addCommitProvenance(t *testing.T, db *meta.DB, repo, id string, ups ...tusk.CommitRef) {
	t.Helper()
	update(t, db, func(tx *meta.Tx) error {
		for _, up := range ups {
			if err := tx.AddCommitProvenance(t.Context(), project, repo, id, up); err != nil {
				return err
			}
		}
		return nil
	})
}

func testCommitProvenance(t *testing.T, db *meta.DB) {
	insertCommits(t, db, newCommit("out", "o1", "", t0), newCommit("out", "o2", "", t0))
	a := tusk.CommitRef{Repo: "a", Branch: "master", ID: "x"}
	b := tusk.CommitRef{Repo: "b", Branch: "dev", ID: "y"}
	addCommitProvenance(t, db, "out", "o1", b, a)
	addCommitProvenance(t, db, "out", "o1", a) // again: no error, no second row
	diff(t, "provenance of o1", []tusk.CommitRef{a, b}, commitProvenance(t, db, "out", "o1"))
	if got := commitProvenance(t, db, "out", "o2"); len(got) != 0 {
		t.Errorf("provenance of o2 = %v, want none", got)
	}
	// Cleared and recorded anew, as propagation within a batch does.
	a2 := tusk.CommitRef{Repo: "a", Branch: "master", ID: "x2"}
	addCommitProvenance(t, db, "out", "o2", a)
	update(t, db, func(tx *meta.Tx) error { return tx.ClearCommitProvenance(t.Context(), project, "out", "o1") })
	addCommitProvenance(t, db, "out", "o1", a2, b)
	diff(t, "provenance of o1 recorded anew", []tusk.CommitRef{a2, b}, commitProvenance(t, db, "out", "o1"))
	diff(t, "provenance of o2, another commit", []tusk.CommitRef{a}, commitProvenance(t, db, "out", "o2"))
}

func testCommitDelete(t *testing.T, db *meta.DB) {
	ctx := t.Context()
	up := tusk.CommitRef{Repo: "up", Branch: "master", ID: "u1"}
	insertCommits(t, db, newCommit("images", "c1", "", t0), newCommit("images", "c2", "c1", at(1)),
		newCommit("labels", "c2", "", t0))
	addCommitProvenance(t, db, "images", "c2", up)
	addCommitProvenance(t, db, "labels", "c2", up)
	update(t, db, func(tx *meta.Tx) error { return tx.DeleteCommit(ctx, project, "images", "c2") })

	wantKind(t, commitErr(t, db, "images", "c2"), tusk.KindNotFound, true)
	if got := commitProvenance(t, db, "images", "c2"); len(got) != 0 {
		t.Errorf("provenance of the deleted commit = %v, want none", got)
	}
	diff(t, "parent", newCommit("images", "c1", "", t0), commit(t, db, "images", "c1"))
	diff(t, "same ID in another repo", newCommit("labels", "c2", "", t0), commit(t, db, "labels", "c2"))
	diff(t, "provenance in another repo", []tusk.CommitRef{up}, commitProvenance(t, db, "labels", "c2"))

	// Re-inserting the ID starts with no provenance.
	insertCommits(t, db, newCommit("images", "c2", "c1", at(1)))
	if got := commitProvenance(t, db, "images", "c2"); len(got) != 0 {
		t.Errorf("provenance of the re-inserted commit = %v, want none", got)
	}
}
