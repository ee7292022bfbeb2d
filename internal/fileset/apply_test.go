package fileset

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func paths(files []File) []string {
	var ps []string
	for _, f := range files {
		ps = append(ps, f.Path)
	}
	return ps
}

func put(p string, version int) Change {
	return Change{Path: p, Op: OpPut, File: testFile(p, version)}
}

func TestApplyNoChanges(t *testing.T) {
	ctx := context.Background()
	st := &MemStore{}
	root := build(t, st, seqFiles(100))
	st.ResetCounts()
	got, err := Apply(ctx, st, root, nil)
	if err != nil || got != root {
		t.Fatalf("Apply(nil) = %.8s, %v; want the old root", got, err)
	}
	if gets, puts := st.Counts(); gets+puts != 0 {
		t.Errorf("no-op Apply made %d gets, %d puts", gets, puts)
	}
	got, err = Apply(ctx, st, "", []Change{{Path: "/x", Op: OpDelete}, {Path: "/y", Op: OpDeletePrefix}})
	if err != nil || got != "" {
		t.Errorf("deleting from the empty tree = %q, %v; want the empty tree", got, err)
	}
}

func TestApplyDeletePrefix(t *testing.T) {
	ctx := context.Background()
	st := &MemStore{}
	var files []File
	for _, p := range []string{"/c", "/d", "/d!x", "/d.txt", "/d/a", "/d/b/c", "/d0", "/da/x", "/e"} {
		files = append(files, testFile(p, 1))
	}
	root := build(t, st, files)

	for _, tc := range []struct {
		name    string
		changes []Change
		want    []string
	}{{
		name:    "file and directory",
		changes: []Change{{Path: "/d", Op: OpDeletePrefix}},
		want:    []string{"/c", "/d!x", "/d.txt", "/d0", "/da/x", "/e"},
	}, {
		name:    "subdirectory",
		changes: []Change{{Path: "/d/b", Op: OpDeletePrefix}},
		want:    []string{"/c", "/d", "/d!x", "/d.txt", "/d/a", "/d0", "/da/x", "/e"},
	}, {
		name:    "root",
		changes: []Change{{Path: "/", Op: OpDeletePrefix}, put("/new", 1)},
		want:    []string{"/new"},
	}, {
		name: "puts under the prefix apply after it",
		changes: []Change{
			{Path: "/d", Op: OpDeletePrefix},
			put("/d.txt", 2),
			{Path: "/d/a", Op: OpDelete},
			put("/d/new", 1),
		},
		want: []string{"/c", "/d!x", "/d.txt", "/d/new", "/d0", "/da/x", "/e"},
	}, {
		name:    "nested prefixes",
		changes: []Change{{Path: "/d", Op: OpDeletePrefix}, {Path: "/d/b", Op: OpDeletePrefix}},
		want:    []string{"/c", "/d!x", "/d.txt", "/d0", "/da/x", "/e"},
	}, {
		name:    "missing prefix",
		changes: []Change{{Path: "/q", Op: OpDeletePrefix}},
		want:    []string{"/c", "/d", "/d!x", "/d.txt", "/d/a", "/d/b/c", "/d0", "/da/x", "/e"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Apply(ctx, st, root, tc.changes)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, paths(list(t, st, got))); diff != "" {
				t.Errorf("paths (-want +got):\n%s", diff)
			}
		})
	}
}

// TestApplyDirectoryBecomesFile replaces a directory by a file of the same
// path in one batch, and back.
func TestApplyDirectoryBecomesFile(t *testing.T) {
	ctx := context.Background()
	st := &MemStore{}
	root := build(t, st, []File{testFile("/a", 1), testFile("/d/x", 1), testFile("/d/y", 1)})
	root, err := Apply(ctx, st, root, []Change{{Path: "/d", Op: OpDeletePrefix}, put("/d", 1)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"/a", "/d"}, paths(list(t, st, root))); diff != "" {
		t.Fatalf("paths (-want +got):\n%s", diff)
	}
	root, err = Apply(ctx, st, root, []Change{{Path: "/d", Op: OpDeletePrefix}, put("/d/z", 1)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"/a", "/d/z"}, paths(list(t, st, root))); diff != "" {
		t.Fatalf("paths (-want +got):\n%s", diff)
	}
}

func TestApplyRejectsInvalidBatches(t *testing.T) {
	ctx := context.Background()
	st := &MemStore{}
	root := build(t, st, seqFiles(10))
	badHash := put("/h", 1)
	badHash.File.Hash = strings.ToUpper(badHash.File.Hash)
	otherPath := put("/p", 1)
	otherPath.File.Path = "/q"
	for name, changes := range map[string][]Change{
		"unsorted":          {put("/b", 1), put("/a", 1)},
		"duplicate":         {put("/a", 1), {Path: "/a", Op: OpDelete}},
		"put then prefix":   {put("/a", 1), {Path: "/a", Op: OpDeletePrefix}},
		"prefix then del":   {{Path: "/a", Op: OpDeletePrefix}, {Path: "/a", Op: OpDelete}},
		"empty path":        {{Op: OpDelete}},
		"unknown op":        {{Path: "/a", Op: 9}},
		"bad hash":          {badHash},
		"mismatched path":   {otherPath},
		"negative size":     {{Path: "/n", Op: OpPut, File: File{Size: -1, Hash: hexHash("")}}},
		"zero op is no put": {{Path: "/a"}},
	} {
		st.ResetCounts()
		if _, err := Apply(ctx, st, root, changes); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", name, err)
		}
		if _, puts := st.Counts(); puts != 0 {
			t.Errorf("%s: wrote %d nodes before rejecting the batch", name, puts)
		}
	}
}

// TestApplyCost checks that one change to a 100k-entry tree reads and
// writes O(height) nodes, and gives the root built from scratch.
func TestApplyCost(t *testing.T) {
	ctx := context.Background()
	st := &MemStore{}
	files := seqFiles(100_000)
	root := build(t, st, files)
	depth := treeDepth(t, st, root)
	t.Logf("%d entries, %d nodes, depth %d", len(files), st.Len(), depth)

	// A key that ends a level-1 node, to delete.
	boundary := ""
	for _, f := range files[len(files)/2:] {
		if height(f.Path) >= 2 {
			boundary = f.Path
			break
		}
	}
	for _, tc := range []struct {
		name   string
		change Change
		limit  int
	}{
		{"modify", put(seqPath(50_000), 1), 20},
		{"insert", put(seqPath(50_000)+"b", 1), 20},
		{"insert first", put("/a", 1), 20},
		{"insert last", put("/zz", 1), 20},
		{"delete", Change{Path: seqPath(70_000), Op: OpDelete}, 20},
		{"delete boundary", Change{Path: boundary, Op: OpDelete}, 20},
		{"delete missing", Change{Path: "/dir0500/x", Op: OpDelete}, 20},
		{"delete directory", Change{Path: "/dir0600", Op: OpDeletePrefix}, 20},
		{"delete missing directory", Change{Path: "/dir06", Op: OpDeletePrefix}, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st.ResetCounts()
			got, err := Apply(ctx, st, root, []Change{tc.change})
			if err != nil {
				t.Fatal(err)
			}
			gets, puts := st.Counts()
			t.Logf("%d gets, %d puts", gets, puts)
			if gets+puts > tc.limit {
				t.Errorf("touched %d nodes, want at most %d", gets+puts, tc.limit)
			}
			if want := build(t, &MemStore{}, applySorted(files, tc.change)); got != want {
				t.Errorf("root %.8s, built from scratch %.8s", got, want)
			}
		})
	}
}

// applySorted applies one change to sorted entries the naive way.
func applySorted(files []File, c Change) []File {
	files = slices.DeleteFunc(slices.Clone(files), func(f File) bool {
		return f.Path == c.Path || c.Op == OpDeletePrefix && strings.HasPrefix(f.Path, c.Path+"/")
	})
	if c.Op == OpPut {
		i, _ := slices.BinarySearchFunc(files, c.Path, func(f File, p string) int { return strings.Compare(f.Path, p) })
		files = slices.Insert(files, i, c.File)
	}
	return files
}

// TestApplyDeleteLargePrefixCost deletes a directory of 50k entries out of
// 100k: the subtrees inside it are dropped unread.
func TestApplyDeleteLargePrefixCost(t *testing.T) {
	ctx := context.Background()
	st := &MemStore{}
	var files []File
	for i := range 50_000 {
		files = append(files, testFile(fmt.Sprintf("/a/%05d", i), 1))
	}
	for i := range 50_000 {
		files = append(files, testFile(fmt.Sprintf("/b/%05d", i), 1), testFile(fmt.Sprintf("/b.%05d", i), 1))
	}
	files = sorted(func() map[string]File {
		m := map[string]File{}
		for _, f := range files {
			m[f.Path] = f
		}
		return m
	}())
	root := build(t, st, files)
	st.ResetCounts()
	got, err := Apply(ctx, st, root, []Change{{Path: "/b", Op: OpDeletePrefix}})
	if err != nil {
		t.Fatal(err)
	}
	gets, puts := st.Counts()
	t.Logf("%d gets, %d puts", gets, puts)
	if gets > 30 {
		t.Errorf("%d gets, want at most 30", gets)
	}
	count, _, err := Stat(ctx, st, got)
	if err != nil {
		t.Fatal(err)
	}
	if count != 100_000 {
		t.Errorf("%d entries left, want 100000", count)
	}
}

func TestApplyKeepsEntries(t *testing.T) {
	ctx := context.Background()
	st := &MemStore{}
	root, err := Apply(ctx, st, "", []Change{put("/a", 1), put("/b", 1)})
	if err != nil {
		t.Fatal(err)
	}
	f, ok, err := Get(ctx, st, root, "/b")
	if err != nil || !ok {
		t.Fatalf("Get = %v, %v", ok, err)
	}
	if diff := cmp.Diff(testFile("/b", 1), f, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("entry (-want +got):\n%s", diff)
	}
}

// TestApplyConcurrent applies batches to one tree from many goroutines
// sharing a store, and compares with sequential results (run with -race).
func TestApplyConcurrent(t *testing.T) {
	ctx := context.Background()
	st := &MemStore{}
	root := build(t, st, seqFiles(5000))
	seqStore := &MemStore{}
	seqRoot := build(t, seqStore, seqFiles(5000))
	want := make([]string, 8)
	for i := range want {
		var err error
		if want[i], err = Apply(ctx, seqStore, seqRoot, []Change{put(seqPath(i*600), 9)}); err != nil {
			t.Fatal(err)
		}
	}
	got := make([]string, len(want))
	errs := make([]error, len(want))
	var wg sync.WaitGroup
	for i := range want {
		wg.Go(func() {
			got[i], errs[i] = Apply(ctx, st, root, []Change{put(seqPath(i*600), 9)})
		})
	}
	wg.Wait()
	for i := range want {
		if errs[i] != nil || got[i] != want[i] {
			t.Errorf("goroutine %d: %.8s, %v; want %.8s", i, got[i], errs[i], want[i])
		}
	}
}
