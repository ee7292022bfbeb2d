package fileset

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestBuildRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{0, 1, 2, 63, 64, 65, 1000, 20000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			st := &MemStore{}
			files := seqFiles(n)
			root := build(t, st, files)
			if n == 0 && root != "" {
				t.Fatalf("empty tree has root %q", root)
			}
			if diff := cmp.Diff(files, list(t, st, root), cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("listing (-want +got):\n%s", diff)
			}
			checkCanonical(t, st, root)
			var size int64
			for _, f := range files {
				size += f.Size
			}
			count, bytes, err := Stat(ctx, st, root)
			if err != nil {
				t.Fatal(err)
			}
			if count != int64(n) || bytes != size {
				t.Errorf("Stat = %d files, %d bytes; want %d, %d", count, bytes, n, size)
			}
		})
	}
}

// TestBuildShape builds many small deep trees and checks their shape, and
// that the builder writes no node outside the tree (single-child nodes
// that end up above the root are never written).
func TestBuildShape(t *testing.T) {
	withBoundaryBits(t, 1)
	const seed = 7
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	for iter := range 500 {
		n := rng.IntN(40) + 1
		files := make([]File, n)
		for i := range files {
			files[i] = testFile(fmt.Sprintf("/%d/f%04d", iter, i), iter)
		}
		st := &MemStore{}
		root := build(t, st, files)
		checkCanonical(t, st, root)
		nodes := 0
		err := Walk(context.Background(), st, root, func(string) bool { nodes++; return false }, func(File) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		if nodes != st.Len() {
			t.Fatalf("iteration %d: %d nodes stored, %d reachable", iter, st.Len(), nodes)
		}
	}
}

func TestBuilderRejectsUnsortedPaths(t *testing.T) {
	ctx := context.Background()
	b := NewBuilder(&MemStore{})
	if err := b.Add(ctx, testFile("/b", 1)); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/b", "/a", ""} {
		if err := b.Add(ctx, testFile(p, 1)); !errors.Is(err, ErrInvalid) {
			t.Errorf("Add(%q) = %v, want ErrInvalid", p, err)
		}
	}
}

func TestBuilderRejectsInvalidFile(t *testing.T) {
	ctx := context.Background()
	b := NewBuilder(&MemStore{})
	f := testFile("/a", 1)
	f.Hash = "nope"
	err := b.Add(ctx, f)
	if err == nil {
		_, err = b.Finish(ctx)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("got %v, want ErrInvalid", err)
	}
}
