package pfs

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tuskdata/tusk/internal/tusk"
)

func TestRepoLifecycle(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	if _, err := a.CreateRepo(ctx, tusk.DefaultProject, "images", "pictures"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateRepo(ctx, tusk.DefaultProject, "images", ""); !errors.Is(err, tusk.ErrExists) {
		t.Fatalf("second create: %v, want exists", err)
	}
	if _, err := a.CreateRepo(ctx, tusk.DefaultProject, "bad name", ""); !errors.Is(err, tusk.ErrInvalid) {
		t.Fatalf("bad name: %v, want invalid", err)
	}
	if _, err := a.InspectRepo(ctx, tusk.DefaultProject, "imgs"); !errors.Is(err, tusk.ErrNotFound) {
		t.Fatalf("inspect missing repo: %v, want not found", err)
	}
	put(t, a, "images@master", "/a.png", "aaaa")
	r, err := a.InspectRepo(ctx, tusk.DefaultProject, "images")
	if err != nil {
		t.Fatal(err)
	}
	if r.SizeBytes != 4 || !cmp.Equal(r.Branches, []string{"master"}) || r.Description != "pictures" {
		t.Errorf("inspect repo = %+v", r)
	}
	if err := a.DeleteRepo(ctx, tusk.DefaultProject, "images", false); err != nil {
		t.Fatal(err)
	}
	if rs, _ := a.ListRepos(ctx, tusk.DefaultProject); len(rs) != 0 {
		t.Errorf("repos after delete: %v", rs)
	}
}

func TestPutWithoutOpenCommitIsOneCommit(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	a.CreateRepo(ctx, tusk.DefaultProject, "data", "")
	c1 := put(t, a, "data@master", "/x", "1", "/d/y", "2", "/d/z", "3")
	if c1.State != tusk.CommitFinished || c1.Files != 3 || c1.SizeBytes != 3 {
		t.Fatalf("commit = %+v", c1)
	}
	c2 := put(t, a, "data@master", "/x", "one")
	if c2.Parent != c1.ID {
		t.Errorf("parent = %s, want %s", c2.Parent, c1.ID)
	}
	cs, err := a.ListCommits(ctx, tusk.DefaultProject, "data", &tusk.Ref{Repo: "data", Branch: "master"}, "", 0)
	if err != nil || len(cs) != 2 {
		t.Fatalf("list commits = %d, %v", len(cs), err)
	}
	if got := tree(t, a, "data@master"); !cmp.Equal(got, []string{"/d/y=2", "/d/z=3", "/x=one"}) {
		t.Errorf("tree = %v", got)
	}
	if got := tree(t, a, "data@master^"); !cmp.Equal(got, []string{"/d/y=2", "/d/z=3", "/x=1"}) {
		t.Errorf("tree of parent = %v", got)
	}
}

func TestOpenCommit(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	a.CreateRepo(ctx, tusk.DefaultProject, "data", "")
	c, err := a.StartCommit(ctx, tusk.DefaultProject, "data", "master", "first")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.StartCommit(ctx, tusk.DefaultProject, "data", "master", ""); !errors.Is(err, tusk.ErrConflict) {
		t.Fatalf("second start: %v, want conflict", err)
	}
	put(t, a, "data@master", "/a", "A")
	put(t, a, "data@"+c.ID, "/b", "B")
	got, err := a.InspectCommit(ctx, mustRef(t, "data@master"))
	if err != nil || got.ID != c.ID || got.State != tusk.CommitStarted || got.Files != 2 {
		t.Fatalf("open commit = %+v, %v", got, err)
	}
	if _, err := a.FinishCommit(ctx, mustRef(t, "data@master"), "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ModifyFiles(ctx, mustRef(t, "data@"+c.ID), nil); !errors.Is(err, tusk.ErrConflict) {
		t.Fatalf("write to finished commit: %v, want conflict", err)
	}
	waited, err := a.WaitCommit(ctx, nil, c.ID)
	if err != nil || len(waited) != 1 || waited[0].Description != "first" {
		t.Fatalf("wait = %+v, %v", waited, err)
	}
}

func TestOpsApplyInOrder(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	a.CreateRepo(ctx, tusk.DefaultProject, "data", "")
	put(t, a, "data@master", "/keep", "k", "/dir/a", "a", "/dir/b", "b")
	ops := upload(t, a, [][2]string{{"/new", "n"}}, false)
	ops = append(ops, tusk.FileOp{Op: tusk.OpDelete, Path: "/"})
	if _, err := a.ModifyFiles(ctx, mustRef(t, "data@master"), ops); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, a, "data@master"); len(got) != 0 {
		t.Errorf("put then delete / left %v", got)
	}
	put(t, a, "data@master", "/keep", "k", "/dir/a", "a", "/dir/b", "b")
	ops = []tusk.FileOp{{Op: tusk.OpDelete, Path: "/dir"}}
	ops = append(ops, upload(t, a, [][2]string{{"/dir/c", "c"}, {"/keep", "+more"}}, true)...)
	ops = append(ops, tusk.FileOp{Op: tusk.OpCopy, Src: "data@master:/dir", Path: "/copied"})
	if _, err := a.ModifyFiles(ctx, mustRef(t, "data@master"), ops); err != nil {
		t.Fatal(err)
	}
	want := []string{"/copied/a=a", "/copied/b=b", "/dir/c=c", "/keep=k+more"}
	if got := tree(t, a, "data@master"); !cmp.Equal(got, want) {
		t.Errorf("tree = %v, want %v", got, want)
	}
}

func TestPathConflictRefused(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	a.CreateRepo(ctx, tusk.DefaultProject, "data", "")
	put(t, a, "data@master", "/a/b", "x")
	_, err := a.ModifyFiles(ctx, mustRef(t, "data@master"), upload(t, a, [][2]string{{"/a", "y"}}, false))
	if !errors.Is(err, tusk.ErrInvalid) {
		t.Fatalf("file over directory: %v, want invalid", err)
	}
	if got := tree(t, a, "data@master"); !cmp.Equal(got, []string{"/a/b=x"}) {
		t.Errorf("a refused write changed the tree: %v", got)
	}
}

func TestAncestryReferences(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	a.CreateRepo(ctx, tusk.DefaultProject, "data", "")
	var ids []string
	for _, v := range []string{"1", "2", "3", "4"} {
		ids = append(ids, put(t, a, "data@master", "/v", v).ID)
	}
	for ref, want := range map[string]string{
		"data@master":          ids[3],
		"data@master^":         ids[2],
		"data@master^^":        ids[1],
		"data@master~3":        ids[0],
		"data@master.1":        ids[0],
		"data@master.2":        ids[1],
		"data@" + ids[2] + "^": ids[1],
		"data@master.4":        ids[3],
	} {
		c, err := a.InspectCommit(ctx, mustRef(t, ref))
		if err != nil || c.ID != want {
			t.Errorf("%s = %s, %v; want %s", ref, c.ID, err, want)
		}
	}
	if _, err := a.InspectCommit(ctx, mustRef(t, "data@master~9")); !errors.Is(err, tusk.ErrNotFound) {
		t.Errorf("too far back: %v", err)
	}
	if _, err := a.CreateBranch(ctx, tusk.DefaultProject, "data", "old", "master^", nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := read(t, a, "data@old:/v"); got != "3" {
		t.Errorf("branch at master^ reads %q", got)
	}
}

func TestDeleteAndSquashCommit(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	a.CreateRepo(ctx, tusk.DefaultProject, "data", "")
	c1 := put(t, a, "data@master", "/a", "1")
	c2 := put(t, a, "data@master", "/b", "2")
	c3 := put(t, a, "data@master", "/c", "3")
	if _, err := a.DeleteCommit(ctx, &tusk.Ref{Repo: "data", ID: c2.ID}, ""); !errors.Is(err, tusk.ErrConflict) {
		t.Fatalf("delete non-head: %v, want conflict", err)
	}
	if _, err := a.SquashCommit(ctx, &tusk.Ref{Repo: "data", ID: c3.ID}, ""); !errors.Is(err, tusk.ErrConflict) {
		t.Fatalf("squash head: %v, want conflict", err)
	}
	if _, err := a.SquashCommit(ctx, &tusk.Ref{Repo: "data", ID: c2.ID}, ""); err != nil {
		t.Fatal(err)
	}
	c, _ := a.InspectCommit(ctx, mustRef(t, "data@master"))
	if c.ID != c3.ID || c.Parent != c1.ID {
		t.Errorf("after squash head = %s parent %s; want %s parent %s", c.ID, c.Parent, c3.ID, c1.ID)
	}
	if got := tree(t, a, "data@master"); !cmp.Equal(got, []string{"/a=1", "/b=2", "/c=3"}) {
		t.Errorf("squash lost data: %v", got)
	}
	if _, err := a.DeleteCommit(ctx, &tusk.Ref{Repo: "data", Branch: "master"}, ""); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, a, "data@master"); !cmp.Equal(got, []string{"/a=1"}) {
		t.Errorf("after deleting the head: %v", got)
	}
}

func TestProvenancePropagates(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	a.CreateRepo(ctx, tusk.DefaultProject, "in", "")
	a.CreateRepo(ctx, tusk.DefaultProject, "out", "")
	put(t, a, "in@master", "/x", "1")
	if _, err := a.CreateBranch(ctx, tusk.DefaultProject, "out", "master", "", []tusk.BranchRef{{Repo: "in", Branch: "master"}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateBranch(ctx, tusk.DefaultProject, "in", "master", "", []tusk.BranchRef{{Repo: "out", Branch: "master"}}, nil); !errors.Is(err, tusk.ErrInvalid) {
		t.Fatalf("cycle: %v, want invalid", err)
	}
	c := put(t, a, "in@master", "/x", "2")
	set, err := a.CommitSet(ctx, c.ID)
	if err != nil || len(set) != 2 {
		t.Fatalf("commit set = %+v, %v", set, err)
	}
	out := set[1]
	if out.Repo != "out" || out.Origin != tusk.OriginAuto || out.State != tusk.CommitStarted ||
		!cmp.Equal(out.Provenance, []tusk.CommitRef{{Repo: "in", Branch: "master", ID: c.ID}}) {
		t.Errorf("downstream commit = %+v", out)
	}
	if _, err := a.StartCommit(ctx, tusk.DefaultProject, "out", "master", ""); !errors.Is(err, tusk.ErrInvalid) {
		t.Errorf("start commit on an output branch: %v", err)
	}
	if err := a.DeleteRepo(ctx, tusk.DefaultProject, "in", false); !errors.Is(err, tusk.ErrConflict) {
		t.Errorf("delete an upstream repo: %v, want conflict", err)
	}
}
