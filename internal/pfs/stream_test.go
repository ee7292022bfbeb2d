package pfs

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tuskdata/tusk/internal/tusk"
)

func TestModificationsApplyInBatches(t *testing.T) {
	defer func(n int) { opBatch = n }(opBatch)
	opBatch = 3
	ctx := context.Background()
	a := newTestAPI(t)
	a.CreateRepo(ctx, tusk.DefaultProject, "data", "")
	put(t, a, "data@master", "/keep", "k")
	// Ten operations, so four batches; the delete in the third batch
	// removes what the first two wrote under /d, and the append in the
	// last extends a file of the first.
	ops := upload(t, a, [][2]string{{"/d/1", "1"}, {"/d/2", "2"}, {"/x", "x"}, {"/d/3", "3"}, {"/y", "y"}}, false)
	ops = append(ops, tusk.FileOp{Op: tusk.OpDelete, Path: "/d"})
	ops = append(ops, upload(t, a, [][2]string{{"/d/4", "4"}, {"/z", "z"}}, false)...)
	ops = append(ops, upload(t, a, [][2]string{{"/x", "+more"}}, true)...)
	ops = append(ops, tusk.FileOp{Op: tusk.OpCopy, Src: "data@master:/keep", Path: "/copy"})
	c, err := a.ModifyFiles(ctx, mustRef(t, "data@master"), ops)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/copy=k", "/d/4=4", "/keep=k", "/x=x+more", "/y=y", "/z=z"}
	if got := tree(t, a, "data@master"); !cmp.Equal(got, want) {
		t.Errorf("tree = %v, want %v", got, want)
	}
	cs, _ := a.ListCommits(ctx, tusk.DefaultProject, "data", nil, "", 0)
	if len(cs) != 2 || c.Files != 6 {
		t.Errorf("%d commits, %d files: a batched modification must be one commit", len(cs), c.Files)
	}
}

func TestConcurrentWritersRebase(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	a.CreateRepo(ctx, tusk.DefaultProject, "data", "")
	var wg sync.WaitGroup
	var want []string
	for w := range 4 {
		var files [][2]string
		for i := range 5 {
			p := fmt.Sprintf("/w%d/f%d", w, i)
			files = append(files, [2]string{p, p})
			want = append(want, p+"="+p)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, f := range files {
				if _, err := a.ModifyFiles(ctx, mustRef(t, "data@master"), upload(t, a, [][2]string{f}, false)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	got := tree(t, a, "data@master")
	if !cmp.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("concurrent writers lost data:\n got %v\nwant %v", got, slices.Sorted(slices.Values(want)))
	}
	cs, _ := a.ListCommits(ctx, tusk.DefaultProject, "data", &tusk.Ref{Repo: "data", Branch: "master"}, "", 0)
	if len(cs) != 20 {
		t.Errorf("history has %d commits, want one per write (20)", len(cs))
	}
}
