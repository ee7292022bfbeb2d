package pfs

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Commits started on two inputs in one batch give the branch downstream
// of both one commit, in the batch's set, whose provenance is both.
func TestBatchIsOneCommitSet(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	for _, r := range []string{"a", "b", "out"} {
		if _, err := a.CreateRepo(ctx, tusk.DefaultProject, r, ""); err != nil {
			t.Fatal(err)
		}
	}
	put(t, a, "a@master", "/x", "1")
	put(t, a, "b@master", "/y", "1")
	prov := []tusk.BranchRef{{Repo: "a", Branch: "master"}, {Repo: "b", Branch: "master"}}
	if _, err := a.CreateBranch(ctx, tusk.DefaultProject, "out", "master", "", prov, nil); err != nil {
		t.Fatal(err)
	}
	events, stop := a.Subscribe()
	defer stop()

	id := NewCommitSetID()
	var batch *Batch
	err := a.db.Update(ctx, func(tx *meta.Tx) error {
		batch = a.Batch(tx, id)
		for _, r := range []string{"a", "b"} {
			if _, err := batch.StartCommit(ctx, tusk.DefaultProject, r, "master", "in a batch"); err != nil {
				return err
			}
			if _, err := batch.FinishCommit(ctx, tusk.Ref{Repo: r, Branch: "master"}, ""); err != nil {
				return err
			}
		}
		if _, err := batch.StartCommit(ctx, tusk.DefaultProject, "a", "dev", ""); !errors.Is(err, tusk.ErrConflict) {
			t.Errorf("a second commit in repo a within the batch: %v, want a conflict", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-events:
		t.Fatalf("event %+v published before Publish", ev)
	default:
	}
	batch.Publish(ctx)

	set, err := a.CommitSet(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(set) != 3 {
		t.Fatalf("commit set %s has %d commits, want 3 (a, b, out): %+v", id, len(set), set)
	}
	var out tusk.Commit
	for _, c := range set {
		if c.Repo == "out" {
			out = c
		}
	}
	want := []tusk.CommitRef{{Repo: "a", Branch: "master", ID: id}, {Repo: "b", Branch: "master", ID: id}}
	if diff := cmp.Diff(want, out.Provenance); diff != "" {
		t.Errorf("provenance of the downstream commit (-want +got):\n%s", diff)
	}
	history, err := a.ListCommits(ctx, tusk.DefaultProject, "out", &tusk.Ref{Repo: "out", Branch: "master"}, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(history) != 2 || history[0].ID != id {
		t.Errorf("out@master has %d commits, head %s; want 2 (the batch's on top of the first)", len(history), history[0].ID)
	}
	started := 0
	for len(events) > 0 {
		if ev := <-events; ev.Type == "started" && ev.Commit.Repo == "out" {
			started++
		}
	}
	if started != 1 {
		t.Errorf("%d started events of out, want 1", started)
	}
}

// A batch whose transaction fails leaves nothing behind.
func TestBatchRollsBack(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	id := NewCommitSetID()
	err := a.db.Update(ctx, func(tx *meta.Tx) error {
		b := a.Batch(tx, id)
		if _, err := b.CreateRepo(ctx, tusk.DefaultProject, "new", ""); err != nil {
			return err
		}
		if _, err := b.StartCommit(ctx, tusk.DefaultProject, "new", "master", ""); err != nil {
			return err
		}
		_, err := b.FinishCommit(ctx, tusk.Ref{Repo: "missing", Branch: "master"}, "")
		return err
	})
	if !errors.Is(err, tusk.ErrNotFound) {
		t.Fatalf("batch finishing a commit of a missing repo: %v, want not found", err)
	}
	if _, err := a.InspectRepo(ctx, tusk.DefaultProject, "new"); !errors.Is(err, tusk.ErrNotFound) {
		t.Errorf("repo created by the failed batch: %v, want not found", err)
	}
	if _, err := a.CommitSet(ctx, id); !errors.Is(err, tusk.ErrNotFound) {
		t.Errorf("commit set of the failed batch: %v, want not found", err)
	}
}
