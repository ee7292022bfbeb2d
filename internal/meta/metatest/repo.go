package metatest

import (
	"errors"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

func createRepos(t *testing.T, db *meta.DB, rs ...tusk.Repo) {
	t.Helper()
	update(t, db, func(tx *meta.Tx) error {
		for _, r := range rs {
			if err := tx.CreateRepo(t.Context(), r); err != nil {
				return err
			}
		}
		return nil
	})
}

func repos(t *testing.T, db *meta.DB, project string) []tusk.Repo {
	t.Helper()
	return get(t, db, func(tx *meta.Tx) ([]tusk.Repo, error) { return tx.Repos(t.Context(), project) })
}

func testRepoCreateGet(t *testing.T, db *meta.DB) {
	ctx := t.Context()
	want := tusk.Repo{Project: project, Name: "images", Type: "spec", Description: "raw images", Created: t0}
	createRepos(t, db, want)
	got := get(t, db, func(tx *meta.Tx) (tusk.Repo, error) { return tx.Repo(ctx, project, "images") })
	diff(t, "created repo", want, got)

	update(t, db, func(tx *meta.Tx) error { return tx.UpdateRepoDescription(ctx, project, "images", "cropped") })
	want.Description = "cropped"
	got = get(t, db, func(tx *meta.Tx) (tusk.Repo, error) { return tx.Repo(ctx, project, "images") })
	diff(t, "updated repo", want, got)
}

func testRepoDuplicate(t *testing.T, db *meta.DB) {
	ctx := t.Context()
	first := newRepo("images")
	first.Description = "first"
	createRepos(t, db, first)
	second := newRepo("images")
	second.Description = "second"
	err := db.Update(ctx, func(tx *meta.Tx) error { return tx.CreateRepo(ctx, second) })
	wantKind(t, err, tusk.KindExists, false)
	if !errors.Is(err, tusk.ErrExists) {
		t.Errorf("errors.Is(%v, tusk.ErrExists) = false", err)
	}
	got := get(t, db, func(tx *meta.Tx) (tusk.Repo, error) { return tx.Repo(ctx, project, "images") })
	diff(t, "repo after duplicate create", first, got)

	other := newRepo("images")
	other.Project = "other"
	createRepos(t, db, other)
	diff(t, "repos of the other project", []tusk.Repo{other}, repos(t, db, "other"))
}

func testRepoNotFound(t *testing.T, db *meta.DB) {
	createRepos(t, db, newRepo("images"))
	err := db.View(t.Context(), func(tx *meta.Tx) error {
		_, err := tx.Repo(t.Context(), project, "missing")
		return err
	})
	wantKind(t, err, tusk.KindNotFound, true)
	if !errors.Is(err, tusk.ErrNotFound) {
		t.Errorf("errors.Is(%v, tusk.ErrNotFound) = false", err)
	}
}

func testRepoList(t *testing.T, db *meta.DB) {
	if got := repos(t, db, project); len(got) != 0 {
		t.Errorf("Repos of an empty store = %v, want none", got)
	}
	other := newRepo("delta")
	other.Project = "other"
	// Creation times follow neither order of the names, so only the name orders.
	alpha, bravo, charlie := newRepo("alpha"), newRepo("bravo"), newRepo("charlie")
	alpha.Created, bravo.Created = at(time.Second), at(2*time.Second)
	createRepos(t, db, charlie, alpha, other, bravo)
	diff(t, "repos by name", []tusk.Repo{alpha, bravo, charlie}, repos(t, db, project))
}

// testRepoDeleteCascades deletes a repo that has branches, commits and
// provenance in both directions, next to a repo that shares its commit and
// branch names, which must be left alone.
func testRepoDeleteCascades(t *testing.T, db *meta.DB) {
	ctx := t.Context()
	createRepos(t, db, newRepo("up"), newRepo("down"), newRepo("other"))
	insertCommits(t, db, newCommit("up", "u1", "", t0), newCommit("down", "c1", "", t0),
		newCommit("down", "c2", "c1", at(1)), newCommit("other", "c1", "", t0))
	update(t, db, func(tx *meta.Tx) error {
		return errors.Join(
			tx.PutBranch(ctx, project, "up", "master", "u1", t0),
			tx.PutBranch(ctx, project, "down", "master", "c2", t0),
			tx.PutBranch(ctx, project, "down", "dev", "c1", t0),
			tx.PutBranch(ctx, project, "other", "master", "c1", t0),
			tx.SetBranchProvenance(ctx, project, "down", "master", []tusk.BranchRef{{Repo: "up", Branch: "master"}}),
			tx.SetBranchProvenance(ctx, project, "other", "master", []tusk.BranchRef{{Repo: "up", Branch: "master"}}),
			tx.AddCommitProvenance(ctx, project, "down", "c2", tusk.CommitRef{Repo: "up", Branch: "master", ID: "u1"}),
			tx.AddCommitProvenance(ctx, project, "other", "c1", tusk.CommitRef{Repo: "up", Branch: "master", ID: "u1"}),
		)
	})
	update(t, db, func(tx *meta.Tx) error { return tx.DeleteRepo(ctx, project, "down") })

	view(t, db, func(tx *meta.Tx) error {
		_, err := tx.Repo(ctx, project, "down")
		wantKind(t, err, tusk.KindNotFound, true)
		_, err = tx.Branch(ctx, project, "down", "master")
		wantKind(t, err, tusk.KindNotFound, true)
		_, err = tx.Commit(ctx, project, "down", "c2")
		wantKind(t, err, tusk.KindNotFound, true)
		bs, err1 := tx.Branches(ctx, project, "down")
		cs, err2 := tx.RepoCommits(ctx, project, "down", nil, 0)
		prov, err3 := tx.CommitProvenance(ctx, project, "down", "c2")
		set, err4 := tx.CommitSet(ctx, "c1")
		up, err5 := tx.Branch(ctx, project, "up", "master")
		otherProv, err6 := tx.CommitProvenance(ctx, project, "other", "c1")
		if err := errors.Join(err1, err2, err3, err4, err5, err6); err != nil {
			return err
		}
		diff(t, "branches of the deleted repo", 0, len(bs))
		diff(t, "commits of the deleted repo", 0, len(cs))
		diff(t, "commit provenance of the deleted repo", 0, len(prov))
		diff(t, "commit set c1", []string{"other"}, repoNames(set))
		diff(t, "subvenance of up@master", []tusk.BranchRef{{Repo: "other", Branch: "master"}}, up.Subvenance)
		diff(t, "commit provenance of other@c1", []tusk.CommitRef{{Repo: "up", Branch: "master", ID: "u1"}}, otherProv)
		return nil
	})
	diff(t, "remaining repos", []tusk.Repo{newRepo("other"), newRepo("up")}, repos(t, db, project))
}

func repoNames(cs []meta.CommitRow) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Repo
	}
	return out
}
