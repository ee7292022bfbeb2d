package fileset

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// nextPaths returns the paths of the next n entries of it.
func nextPaths(t *testing.T, it *Iterator, n int) []string {
	t.Helper()
	var ps []string
	for range n {
		f, ok := it.Next()
		if !ok {
			break
		}
		ps = append(ps, f.Path)
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return ps
}

func TestIteratorSeek(t *testing.T) {
	withBoundaryBits(t, 2)
	ctx := context.Background()
	st := &MemStore{}
	var files []File
	for i := 0; i < 2000; i += 2 {
		files = append(files, testFile(fmt.Sprintf("/f%04d", i), 1))
	}
	root := build(t, st, files)
	it := NewIterator(ctx, st, root)
	if got := nextPaths(t, it, 2); !cmp.Equal(got, []string{"/f0000", "/f0002"}) {
		t.Errorf("from the start: %v", got)
	}
	for _, tc := range []struct {
		key  string
		want []string // the next entries; the end follows if it has fewer than 2
	}{
		{"", []string{"/f0000", "/f0002"}},
		{"/", []string{"/f0000", "/f0002"}},
		{"/f1000", []string{"/f1000", "/f1002"}},
		{"/f1001", []string{"/f1002", "/f1004"}},
		{"/f0500x", []string{"/f0502", "/f0504"}}, // backwards
		{"/f1998", []string{"/f1998"}},
		{"/f1999", nil},
		{"/g", nil},
		{"/f0001", []string{"/f0002", "/f0004"}}, // after reaching the end
	} {
		it.Seek(tc.key)
		if got := nextPaths(t, it, 2); !cmp.Equal(got, tc.want) {
			t.Errorf("Seek(%q): got %v, want %v", tc.key, got, tc.want)
		}
	}
	// Next after the end stays at the end.
	it.Seek("/z")
	for range 3 {
		if f, ok := it.Next(); ok {
			t.Errorf("Next past the end = %s", f.Path)
		}
	}
}

func TestIteratorEmptyTree(t *testing.T) {
	it := NewIterator(context.Background(), &MemStore{}, "")
	it.Seek("/a")
	if _, ok := it.Next(); ok || it.Err() != nil {
		t.Errorf("empty tree: ok %v, err %v", ok, it.Err())
	}
}

// TestIteratorReadsEachNodeOnce iterates a whole tree: streaming reads
// every node exactly once.
func TestIteratorReadsEachNodeOnce(t *testing.T) {
	st := &MemStore{}
	files := seqFiles(20_000)
	root := build(t, st, files)
	st.ResetCounts()
	if got := len(list(t, st, root)); got != len(files) {
		t.Fatalf("listed %d entries, want %d", got, len(files))
	}
	if gets, _ := st.Counts(); gets != st.Len() {
		t.Errorf("%d gets for %d nodes", gets, st.Len())
	}
}

func TestIteratorReturnsCopies(t *testing.T) {
	ctx := context.Background()
	st := &MemStore{}
	root := build(t, st, seqFiles(10))
	it := NewIterator(ctx, st, root)
	f, _ := it.Next()
	f.Refs[0].Offset = 999
	it.Seek("")
	if g, _ := it.Next(); g.Refs[0].Offset == 999 {
		t.Error("changing a returned entry changed the tree")
	}
}

func TestGet(t *testing.T) {
	withBoundaryBits(t, 2)
	ctx := context.Background()
	st := &MemStore{}
	files := seqFiles(500)
	root := build(t, st, files)
	for _, f := range files {
		got, ok, err := Get(ctx, st, root, f.Path)
		if err != nil || !ok {
			t.Fatalf("Get(%s) = %v, %v", f.Path, ok, err)
		}
		if !cmp.Equal(got, f) {
			t.Fatalf("Get(%s) = %+v, want %+v", f.Path, got, f)
		}
	}
	for _, p := range []string{"/", "/dir0000", "/dir0000/file0000000x", "/zzz"} {
		if _, ok, err := Get(ctx, st, root, p); ok || err != nil {
			t.Errorf("Get(%s) = %v, %v; want missing", p, ok, err)
		}
	}
	if _, ok, err := Get(ctx, st, "", "/a"); ok || err != nil {
		t.Errorf("Get in the empty tree = %v, %v", ok, err)
	}
}
