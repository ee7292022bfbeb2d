package pfs

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/tusk"
)

func TestModifyEachMakesACommitPerGroupInOrder(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	if _, err := a.CreateRepo(ctx, tusk.DefaultProject, "data", ""); err != nil {
		t.Fatal(err)
	}
	first := put(t, a, "data@master", "/keep", "kept")
	groups := [][]tusk.FileOp{
		upload(t, a, [][2]string{{"/a", "one"}}, false),
		upload(t, a, [][2]string{{"/keep/x", "a file under a file"}}, false),
		upload(t, a, [][2]string{{"/b", "two"}, {"/a", "one again"}}, false),
		{{Op: tusk.OpDelete, Path: "/keep"}},
		{{Op: tusk.OpPut, Path: "/never", Size: 3, Hash: strings.Repeat("cd", 32), Refs: []tusk.DataRef{{Chunk: strings.Repeat("ab", 32), Length: 3}}}},
	}
	commits, errs, err := a.ModifyEach(ctx, mustRef(t, "data@master"), groups)
	if err != nil {
		t.Fatal(err)
	}
	if errs[1] == nil || tusk.KindOf(errs[1]) != tusk.KindInvalid {
		t.Errorf("a put under a file: error %v; want an invalid one, for its group only", errs[1])
	}
	var missing *ChunkMissingError
	if !errors.As(errs[4], &missing) {
		t.Errorf("a put of a chunk never sent: error %v; want a ChunkMissingError, for its group only", errs[4])
	}
	for _, i := range []int{0, 2, 3} {
		if errs[i] != nil {
			t.Fatalf("group %d: %v", i, errs[i])
		}
	}
	if commits[0].Parent != first.ID || commits[2].Parent != commits[0].ID || commits[3].Parent != commits[2].ID {
		t.Errorf("parents %s, %s, %s; want the chain %s, %s, %s", commits[0].Parent, commits[2].Parent, commits[3].Parent,
			first.ID, commits[0].ID, commits[2].ID)
	}
	want := [][]string{
		{"/a=one", "/keep=kept"},
		{"/a=one again", "/b=two", "/keep=kept"},
		{"/a=one again", "/b=two"},
	}
	for k, i := range []int{0, 2, 3} {
		if got := tree(t, a, "data@"+commits[i].ID); !slices.Equal(got, want[k]) {
			t.Errorf("commit of group %d holds %v; want %v", i, got, want[k])
		}
	}
	b, err := a.InspectBranch(ctx, tusk.DefaultProject, "data", "master")
	if err != nil || b.Head != commits[3].ID {
		t.Errorf("head %s, %v; want the last group's commit %s", b.Head, err, commits[3].ID)
	}
}

func TestModifyEachRefusesACommit(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	if _, err := a.CreateRepo(ctx, tusk.DefaultProject, "data", ""); err != nil {
		t.Fatal(err)
	}
	c := put(t, a, "data@master", "/a", "one")
	if _, _, err := a.ModifyEach(ctx, mustRef(t, "data@"+c.ID), nil); tusk.KindOf(err) != tusk.KindInvalid {
		t.Errorf("ModifyEach on a commit: %v; want an invalid-argument error", err)
	}
}

// Each commit of a chain propagates downstream as a commit made on its
// own would: a commit set of its own, with a downstream commit.
func TestModifyEachPropagatesEachCommit(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	for _, r := range []string{"in", "out"} {
		if _, err := a.CreateRepo(ctx, tusk.DefaultProject, r, ""); err != nil {
			t.Fatal(err)
		}
	}
	put(t, a, "in@master", "/x", "0")
	if _, err := a.CreateBranch(ctx, tusk.DefaultProject, "out", "master", "", []tusk.BranchRef{{Repo: "in", Branch: "master"}}, nil); err != nil {
		t.Fatal(err)
	}
	commits, errs, err := a.ModifyEach(ctx, mustRef(t, "in@master"), [][]tusk.FileOp{
		upload(t, a, [][2]string{{"/x", "1"}}, false),
		upload(t, a, [][2]string{{"/y", "2"}}, false),
	})
	if err != nil || errs[0] != nil || errs[1] != nil {
		t.Fatal(err, errs)
	}
	for _, c := range commits {
		set, err := a.CommitSet(ctx, c.ID)
		if err != nil || len(set) != 2 || set[1].Repo != "out" ||
			!slices.Equal(set[1].Provenance, []tusk.CommitRef{{Repo: "in", Branch: "master", ID: c.ID}}) {
			t.Errorf("commit set of %s = %+v, %v; want it and a downstream commit of it", c.ID, set, err)
		}
	}
}

// On a branch whose head is open, the groups land in that commit.
func TestModifyEachWritesIntoAnOpenHead(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	if _, err := a.CreateRepo(ctx, tusk.DefaultProject, "data", ""); err != nil {
		t.Fatal(err)
	}
	open, err := a.StartCommit(ctx, tusk.DefaultProject, "data", "master", "")
	if err != nil {
		t.Fatal(err)
	}
	commits, errs, err := a.ModifyEach(ctx, mustRef(t, "data@master"), [][]tusk.FileOp{
		upload(t, a, [][2]string{{"/a", "1"}}, false),
		upload(t, a, [][2]string{{"/b", "2"}}, false),
	})
	if err != nil || errs[0] != nil || errs[1] != nil {
		t.Fatal(err, errs)
	}
	if commits[0].ID != open.ID || commits[1].ID != open.ID {
		t.Errorf("commits %s, %s; want both the open head %s", commits[0].ID, commits[1].ID, open.ID)
	}
	if got, want := tree(t, a, "data@"+open.ID), []string{"/a=1", "/b=2"}; !slices.Equal(got, want) {
		t.Errorf("open commit holds %v; want %v", got, want)
	}
}

// When every group fails, each has its own error, and nothing fails as a
// whole.
func TestModifyEachWhereEveryGroupFails(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	if _, err := a.CreateRepo(ctx, tusk.DefaultProject, "data", ""); err != nil {
		t.Fatal(err)
	}
	put(t, a, "data@master", "/f", "a file")
	_, errs, err := a.ModifyEach(ctx, mustRef(t, "data@master"), [][]tusk.FileOp{
		upload(t, a, [][2]string{{"/f/x", "under a file"}}, false),
		{{Op: "rename", Path: "/g"}},
	})
	if err != nil {
		t.Fatalf("ModifyEach: %v; want the groups' own errors only", err)
	}
	if tusk.KindOf(errs[0]) != tusk.KindInvalid || !strings.Contains(errs[0].Error(), "file and a directory") ||
		!strings.Contains(errs[1].Error(), "unknown file operation") {
		t.Errorf("errors %v; want a path conflict for the first group, an unknown operation for the second", errs)
	}
}
