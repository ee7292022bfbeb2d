package fileset

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestRangeStats(t *testing.T) {
	withBoundaryBits(t, 2)
	const seed = 5
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	ctx := context.Background()
	st := &MemStore{}
	model := map[string]File{}
	for range 3000 {
		p := randPath(rng)
		model[p] = testFile(p, rng.IntN(1000))
	}
	files := sorted(model)
	root := build(t, st, files)

	naive := func(lo, hi string) (n, size int64) {
		for _, f := range files {
			if f.Path >= lo && (hi == "" || f.Path < hi) {
				n++
				size += f.Size
			}
		}
		return n, size
	}
	ranges := [][2]string{{"", ""}, {"", "/d3"}, {"/d3", ""}, {"/z", "/a"}, {"/d2/f100", "/d2/f100"}, {"/d2/f100", "/d2/f1000"}}
	for d := range 6 {
		lo, hi := DirRange(fmt.Sprintf("/d%d", d))
		ranges = append(ranges, [2]string{lo, hi})
	}
	lo, hi := DirRange("/")
	ranges = append(ranges, [2]string{lo, hi})
	for range 200 {
		a, b := randPath(rng), randPath(rng)
		ranges = append(ranges, [2]string{min(a, b), max(a, b)})
	}
	for _, r := range ranges {
		n, size, err := RangeStats(ctx, st, root, r[0], r[1])
		if err != nil {
			t.Fatal(err)
		}
		if wn, wsize := naive(r[0], r[1]); n != wn || size != wsize {
			t.Errorf("RangeStats(%q, %q) = %d, %d; want %d, %d", r[0], r[1], n, size, wn, wsize)
		}
	}
	if n, _, err := RangeStats(ctx, st, "", "", ""); n != 0 || err != nil {
		t.Errorf("empty tree: %d, %v", n, err)
	}
}

// TestRangeStatsCost sums a directory of 5000 entries in a 100k-entry tree
// from the aggregates, reading the nodes along the edges only.
func TestRangeStatsCost(t *testing.T) {
	ctx := context.Background()
	st := &MemStore{}
	var files []File
	for i := range 100_000 {
		files = append(files, testFile(fmt.Sprintf("/d%02d/%05d", i/5000, i), 1))
	}
	root := build(t, st, files)
	lo, hi := DirRange("/d07")
	st.ResetCounts()
	n, size, err := RangeStats(ctx, st, root, lo, hi)
	if err != nil {
		t.Fatal(err)
	}
	var want int64
	for _, f := range files[35_000:40_000] {
		want += f.Size
	}
	if n != 5000 || size != want {
		t.Errorf("got %d files, %d bytes; want 5000, %d", n, size, want)
	}
	depth := treeDepth(t, st, root)
	if gets, _ := st.Counts(); gets > 2*depth {
		t.Errorf("%d gets, want at most %d", gets, 2*depth)
	}
}

func TestStatEmpty(t *testing.T) {
	n, size, err := Stat(context.Background(), &MemStore{}, "")
	if n != 0 || size != 0 || err != nil {
		t.Errorf("Stat of the empty tree = %d, %d, %v", n, size, err)
	}
}
