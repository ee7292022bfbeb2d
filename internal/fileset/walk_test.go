package fileset

import (
	"context"
	"errors"
	"testing"
)

// TestWalkSharedSubtrees walks two versions of a tree with one seen set:
// the second walk visits only the nodes the second version added.
func TestWalkSharedSubtrees(t *testing.T) {
	ctx := context.Background()
	st := &MemStore{}
	a := build(t, st, seqFiles(20_000))
	before := st.Len()
	b, err := Apply(ctx, st, a, []Change{put(seqPath(10_000), 5), put("/new", 1)})
	if err != nil {
		t.Fatal(err)
	}
	added := st.Len() - before

	visited := map[string]bool{}
	seen := func(id string) bool {
		if visited[id] {
			return true
		}
		visited[id] = true
		return false
	}
	files := map[string]bool{}
	count := func(f File) error { files[f.Path] = true; return nil }
	if err := Walk(ctx, st, a, seen, count); err != nil {
		t.Fatal(err)
	}
	if len(visited) != before || len(files) != 20_000 {
		t.Errorf("first walk: %d nodes, %d files; want %d, 20000", len(visited), len(files), before)
	}
	st.ResetCounts()
	clear(files)
	if err := Walk(ctx, st, b, seen, count); err != nil {
		t.Fatal(err)
	}
	if gets, _ := st.Counts(); gets != added {
		t.Errorf("second walk read %d nodes, want the %d new ones", gets, added)
	}
	if len(visited) != st.Len() {
		t.Errorf("visited %d nodes of %d", len(visited), st.Len())
	}
	// The second walk sees the entries of the new leaves only.
	if !files["/new"] || !files[seqPath(10_000)] || len(files) > 1000 {
		t.Errorf("second walk saw %d files, want those of the new leaves", len(files))
	}
}

func TestWalkStopsOnCallbackError(t *testing.T) {
	st := &MemStore{}
	root := build(t, st, seqFiles(1000))
	stop := errors.New("stop")
	err := Walk(context.Background(), st, root, func(string) bool { return false }, func(File) error { return stop })
	if err != stop {
		t.Errorf("got %v, want the callback's error", err)
	}
}
