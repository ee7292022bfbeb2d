package fileset

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// randPath returns a path from a small universe without file/directory
// conflicts, that covers the ends of the key space and the keys that sort
// between "/dN" and "/dN/" ("/dN!x", "/dN.txt").
func randPath(rng *rand.Rand) string {
	d := rng.IntN(6)
	switch r := rng.IntN(100); {
	case r < 70:
		return fmt.Sprintf("/d%d/f%03d", d, rng.IntN(500))
	case r < 85:
		return fmt.Sprintf("/d%d/sub/f%02d", d, rng.IntN(40))
	case r < 90:
		return fmt.Sprintf("/d%d.txt", d)
	case r < 93:
		return fmt.Sprintf("/d%d!x", d)
	case r < 96:
		return fmt.Sprintf("/a%02d", rng.IntN(10))
	default:
		return fmt.Sprintf("/z%02d", rng.IntN(10))
	}
}

// randPrefix returns the path of a random OpDeletePrefix.
func randPrefix(rng *rand.Rand) string {
	switch r := rng.IntN(100); {
	case r < 50:
		return fmt.Sprintf("/d%d", rng.IntN(6))
	case r < 80:
		return fmt.Sprintf("/d%d/sub", rng.IntN(6))
	case r < 88:
		return "/nothing"
	default:
		return "/"
	}
}

// randBatch returns a random batch of changes against the model. Now and
// then it empties the tree, by prefix or entry by entry.
func randBatch(rng *rand.Rand, model map[string]File, version int) []Change {
	switch rng.IntN(50) {
	case 0:
		return []Change{{Path: "/", Op: OpDeletePrefix}}
	case 1:
		var changes []Change
		for _, f := range sorted(model) {
			changes = append(changes, Change{Path: f.Path, Op: OpDelete})
		}
		return changes
	}
	size := 1 + rng.IntN(4)
	switch rng.IntN(10) {
	case 0:
		size = 50 + rng.IntN(300)
	case 1, 2:
		size = 5 + rng.IntN(20)
	}
	byPath := map[string]Change{}
	for range size {
		p := randPath(rng)
		_, exists := model[p]
		switch r := rng.IntN(100); {
		case exists && r < 45, !exists && r < 85:
			byPath[p] = Change{Path: p, Op: OpPut, File: testFile(p, version)}
		default:
			byPath[p] = Change{Path: p, Op: OpDelete}
		}
	}
	var changes []Change
	for _, c := range byPath {
		changes = append(changes, c)
	}
	if rng.IntN(8) == 0 {
		changes = append(changes, Change{Path: randPrefix(rng), Op: OpDeletePrefix})
	}
	sortChanges(changes)
	return changes
}

// sortChanges sorts by path, an OpDeletePrefix before other changes of the
// same path.
func sortChanges(changes []Change) {
	slices.SortFunc(changes, func(a, b Change) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return int(b.Op) - int(a.Op)
	})
}

// applyModel applies a batch to a map the naive way.
func applyModel(model map[string]File, changes []Change) {
	for _, c := range changes {
		if c.Op != OpDeletePrefix {
			continue
		}
		for p := range model {
			if c.Path == "/" || p == c.Path || strings.HasPrefix(p, c.Path+"/") {
				delete(model, p)
			}
		}
	}
	for _, c := range changes {
		switch c.Op {
		case OpPut:
			f := c.File
			f.Path = c.Path
			model[c.Path] = f
		case OpDelete:
			delete(model, c.Path)
		}
	}
}

// TestApplyMatchesBuild applies random batches and checks after each that
// the root equals the root of the same entries built from scratch.
func TestApplyMatchesBuild(t *testing.T) {
	for _, bits := range []int{2, BoundaryBits} {
		t.Run(fmt.Sprintf("bits=%d", bits), func(t *testing.T) {
			withBoundaryBits(t, bits)
			const seed = 20240611
			t.Logf("seed %d", seed)
			rng := rand.New(rand.NewPCG(seed, uint64(bits)))
			ctx := context.Background()
			st := &MemStore{}
			model := map[string]File{}
			root := ""
			empty, maxLen := 0, 0
			for iter := range 400 {
				changes := randBatch(rng, model, iter)
				rec := &recordStore{NodeStore: st}
				newRoot, err := Apply(ctx, rec, root, changes)
				if err != nil {
					t.Fatalf("iteration %d: %v", iter, err)
				}
				// Apply writes the new nodes of the tree and nothing else.
				ids := reachable(t, st, newRoot)
				for _, id := range rec.puts {
					if !ids[id] {
						t.Fatalf("iteration %d: wrote node %.8s outside the tree", iter, id)
					}
				}
				applyModel(model, changes)
				want := sorted(model)
				if fresh := build(t, &MemStore{}, want); newRoot != fresh {
					t.Fatalf("iteration %d: %d changes to %d entries: root %.8s, built from scratch %.8s",
						iter, len(changes), len(want), newRoot, fresh)
				}
				if iter%20 == 0 {
					if diff := cmp.Diff(want, list(t, st, newRoot), cmpopts.EquateEmpty()); diff != "" {
						t.Fatalf("iteration %d: listing (-want +got):\n%s", iter, diff)
					}
					checkCanonical(t, st, newRoot)
				}
				root = newRoot
				maxLen = max(maxLen, len(model))
				if len(model) == 0 {
					empty++
				}
			}
			t.Logf("largest tree %d entries, emptied %d times", maxLen, empty)
		})
	}
}

// TestApplyHistoryIndependence reaches the same set of entries through
// different sequences of batches and checks that the roots agree.
func TestApplyHistoryIndependence(t *testing.T) {
	withBoundaryBits(t, 2)
	const seed = 99
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	ctx := context.Background()

	var keep, extra []File
	for i := range 1500 {
		keep = append(keep, testFile(fmt.Sprintf("/k/%04d", i), 1))
	}
	for i := range 400 {
		extra = append(extra, testFile(fmt.Sprintf("/k/%04d.tmp", i), 1), testFile(fmt.Sprintf("/tmp/%04d", i), 1))
	}
	want := build(t, &MemStore{}, keep)

	for run := range 5 {
		st := &MemStore{}
		queue := slices.Concat(keep, extra)
		rng.Shuffle(len(queue), func(i, j int) { queue[i], queue[j] = queue[j], queue[i] })
		requeued := map[string]bool{}
		root := ""
		// Insert everything in random batches, some files first with
		// another content.
		for len(queue) > 0 {
			n := min(len(queue), 1+rng.IntN(200))
			batch := queue[:n]
			queue = queue[n:]
			var changes []Change
			for _, f := range batch {
				if !requeued[f.Path] && rng.IntN(5) == 0 {
					requeued[f.Path] = true
					queue = append(queue, f)
					f = testFile(f.Path, 2)
				}
				changes = append(changes, Change{Path: f.Path, Op: OpPut, File: f})
			}
			sortChanges(changes)
			var err error
			if root, err = Apply(ctx, st, root, changes); err != nil {
				t.Fatal(err)
			}
		}
		// Remove the extra entries: /tmp by prefix, the rest one by one.
		var dels []Change
		for _, f := range extra {
			if !strings.HasPrefix(f.Path, "/tmp/") {
				dels = append(dels, Change{Path: f.Path, Op: OpDelete})
			}
		}
		rng.Shuffle(len(dels), func(i, j int) { dels[i], dels[j] = dels[j], dels[i] })
		dels = append(dels, Change{Path: "/tmp", Op: OpDeletePrefix})
		for len(dels) > 0 {
			n := min(len(dels), 1+rng.IntN(50))
			batch := slices.Clone(dels[:n])
			dels = dels[n:]
			sortChanges(batch)
			var err error
			if root, err = Apply(ctx, st, root, batch); err != nil {
				t.Fatal(err)
			}
		}
		if root != want {
			t.Fatalf("run %d: root %.8s, want %.8s", run, root, want)
		}
	}
}
