package metatest

import (
	"errors"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
)

func token(t *testing.T, db *meta.DB, hash string) (meta.TokenRow, bool) {
	t.Helper()
	type found struct {
		row meta.TokenRow
		ok  bool
	}
	f := get(t, db, func(tx *meta.Tx) (found, error) {
		r, ok, err := tx.Token(t.Context(), hash)
		return found{r, ok}, err
	})
	return f.row, f.ok
}

func testTokens(t *testing.T, db *meta.DB) {
	ctx := t.Context()
	forever := meta.TokenRow{Hash: "h1", Subject: "user:admin", Created: t0}
	brief := meta.TokenRow{Hash: "h2", Subject: "robot:ci", Created: t0, Expires: at(time.Hour)}
	robot2 := meta.TokenRow{Hash: "h3", Subject: "robot:ci", Created: at(time.Second)}
	update(t, db, func(tx *meta.Tx) error {
		for _, r := range []meta.TokenRow{forever, brief, robot2} {
			if err := tx.InsertToken(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
	for _, want := range []meta.TokenRow{forever, brief, robot2} {
		got, ok := token(t, db, want.Hash)
		if !ok {
			t.Fatalf("token %s not found", want.Hash)
		}
		diff(t, "token "+want.Hash, want, got)
	}
	if _, ok := token(t, db, "nope"); ok {
		t.Error("an unknown hash was found")
	}

	// Expired tokens go; the others stay.
	update(t, db, func(tx *meta.Tx) error { return tx.DeleteExpiredTokens(ctx, at(2*time.Hour)) })
	if _, ok := token(t, db, "h2"); ok {
		t.Error("the expired token is still there")
	}
	if _, ok := token(t, db, "h3"); !ok {
		t.Error("a token without expiry was removed with the expired ones")
	}

	var deleted bool
	update(t, db, func(tx *meta.Tx) (err error) { deleted, err = tx.DeleteToken(ctx, "h1"); return err })
	if _, ok := token(t, db, "h1"); ok || !deleted {
		t.Errorf("after DeleteToken: deleted=%v, still found=%v", deleted, ok)
	}
	update(t, db, func(tx *meta.Tx) (err error) { deleted, err = tx.DeleteToken(ctx, "h1"); return err })
	if deleted {
		t.Error("deleting a deleted token reported one")
	}
	var n int
	update(t, db, func(tx *meta.Tx) (err error) { n, err = tx.DeleteTokensOf(ctx, "robot:ci"); return err })
	if _, ok := token(t, db, "h3"); ok || n != 1 {
		t.Errorf("DeleteTokensOf removed %d token(s); h3 still found: %v", n, ok)
	}

	update(t, db, func(tx *meta.Tx) error {
		return errors.Join(tx.InsertToken(ctx, meta.TokenRow{Hash: "p1", Subject: "pipeline:edges", Created: t0, Worker: "edges-v1-0"}),
			tx.InsertToken(ctx, meta.TokenRow{Hash: "p2", Subject: "pipeline:montage", Created: t0, Worker: "montage-v1-0"}),
			tx.InsertToken(ctx, meta.TokenRow{Hash: "p3", Subject: "pipeline:edges", Created: t0}))
	})
	if got, _ := token(t, db, "p1"); got.Worker != "edges-v1-0" {
		t.Errorf("a worker's token reads back with worker %q, want edges-v1-0", got.Worker)
	}
	update(t, db, func(tx *meta.Tx) (err error) { n, err = tx.DeleteWorkerTokens(ctx); return err })
	_, p1 := token(t, db, "p1")
	_, p3 := token(t, db, "p3")
	if n != 2 || p1 || !p3 {
		t.Errorf("DeleteWorkerTokens removed %d; p1 left: %v, p3 (issued to no worker a runner started) left: %v; want 2, false, true", n, p1, p3)
	}
}

func bind(res meta.Resource, subject, role string) meta.RoleBinding {
	return meta.RoleBinding{Resource: res, Subject: subject, Role: role}
}

func testRoleBindings(t *testing.T, db *meta.DB) {
	ctx := t.Context()
	cluster := meta.Resource{Kind: "cluster"}
	images := meta.Resource{Kind: "repo", Project: project, Name: "images"}
	edges := meta.Resource{Kind: "repo", Project: project, Name: "edges"}
	createRepos(t, db, newRepo("images"), newRepo("edges"))
	update(t, db, func(tx *meta.Tx) error {
		for _, b := range []meta.RoleBinding{
			bind(cluster, "user:admin", "clusterAdmin"),
			bind(images, "user:alice", "repoOwner"),
			bind(images, "user:bob", "repoReader"),
			bind(edges, "user:alice", "repoReader"),
		} {
			if err := tx.SetRoles(ctx, b.Resource, b.Subject, []string{b.Role}); err != nil {
				return err
			}
		}
		return nil
	})
	bindings := func(res meta.Resource) []meta.RoleBinding {
		return get(t, db, func(tx *meta.Tx) ([]meta.RoleBinding, error) { return tx.RoleBindings(ctx, res) })
	}
	of := func(subject string) []meta.RoleBinding {
		return get(t, db, func(tx *meta.Tx) ([]meta.RoleBinding, error) { return tx.RoleBindingsOf(ctx, subject) })
	}
	diff(t, "bindings on images", []meta.RoleBinding{
		bind(images, "user:alice", "repoOwner"), bind(images, "user:bob", "repoReader"),
	}, bindings(images))
	diff(t, "bindings of alice", []meta.RoleBinding{
		bind(edges, "user:alice", "repoReader"), bind(images, "user:alice", "repoOwner"),
	}, of("user:alice"))
	diff(t, "bindings on the cluster", []meta.RoleBinding{bind(cluster, "user:admin", "clusterAdmin")}, bindings(cluster))

	// Setting replaces; setting none removes; setting twice is the same.
	update(t, db, func(tx *meta.Tx) error {
		return tx.SetRoles(ctx, images, "user:bob", []string{"repoWriter", "repoReader", "repoWriter"})
	})
	diff(t, "bob's roles", []meta.RoleBinding{bind(images, "user:bob", "repoReader"), bind(images, "user:bob", "repoWriter")}, of("user:bob"))
	update(t, db, func(tx *meta.Tx) error { return tx.SetRoles(ctx, images, "user:bob", nil) })
	diff(t, "bob's roles after removing them", []meta.RoleBinding(nil), of("user:bob"))

	// Deleting a repo deletes the roles on it, so that a new repo of the
	// same name does not inherit them.
	update(t, db, func(tx *meta.Tx) error { return tx.DeleteRepo(ctx, project, "images") })
	diff(t, "bindings on the deleted repo", []meta.RoleBinding(nil), bindings(images))
	diff(t, "bindings of alice after the delete", []meta.RoleBinding{bind(edges, "user:alice", "repoReader")}, of("user:alice"))
}
