package fileset

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// change is one difference reported by Diff.
type change struct {
	Path     string
	Old, New *File
}

func diffTrees(t *testing.T, st NodeStore, a, b, lo, hi string) []change {
	t.Helper()
	var got []change
	err := DiffRange(context.Background(), st, a, b, lo, hi, func(old, new *File) error {
		c := change{Old: old, New: new}
		if old != nil {
			c.Path = old.Path
		} else {
			c.Path = new.Path
		}
		got = append(got, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// naiveDiff compares two models entry by entry.
func naiveDiff(a, b map[string]File, lo, hi string) []change {
	var out []change
	seen := map[string]bool{}
	for p := range a {
		seen[p] = true
	}
	for p := range b {
		seen[p] = true
	}
	for _, p := range slices.Sorted(maps.Keys(seen)) {
		if p < lo || hi != "" && p >= hi {
			continue
		}
		x, inA := a[p]
		y, inB := b[p]
		switch {
		case inA && inB && cmp.Equal(x, y, cmpopts.EquateEmpty()):
		case inA && inB:
			out = append(out, change{p, &x, &y})
		case inA:
			out = append(out, change{p, &x, nil})
		default:
			out = append(out, change{p, nil, &y})
		}
	}
	return out
}

// summarize returns the differences as strings, fast to compare: the
// test entries' hashes identify their contents.
func summarize(changes []change) []string {
	var out []string
	for _, c := range changes {
		s := c.Path
		for _, f := range []*File{c.Old, c.New} {
			if f == nil {
				s += " -"
			} else {
				s += fmt.Sprintf(" %s:%.8s", f.Path, f.Hash)
			}
		}
		out = append(out, s)
	}
	return out
}

func TestDiffMatchesNaive(t *testing.T) {
	withBoundaryBits(t, 2)
	const seed = 31
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	ctx := context.Background()
	st := &MemStore{}
	type version struct {
		root  string
		model map[string]File
	}
	versions := []version{{"", map[string]File{}}}
	for iter := range 150 {
		prev := versions[len(versions)-1]
		changes := randBatch(rng, prev.model, iter)
		root, err := Apply(ctx, st, prev.root, changes)
		if err != nil {
			t.Fatal(err)
		}
		model := maps.Clone(prev.model)
		applyModel(model, changes)
		versions = append(versions, version{root, model})
	}
	for i := range 300 {
		a := versions[rng.IntN(len(versions))]
		b := versions[rng.IntN(len(versions))]
		if i%3 == 0 { // consecutive versions: few changes
			j := rng.IntN(len(versions) - 1)
			a, b = versions[j], versions[j+1]
		}
		lo, hi := "", ""
		switch i % 4 {
		case 1:
			lo, hi = DirRange(fmt.Sprintf("/d%d", rng.IntN(6)))
		case 2:
			lo = randPath(rng)
		}
		want := summarize(naiveDiff(a.model, b.model, lo, hi))
		if diff := cmp.Diff(want, summarize(diffTrees(t, st, a.root, b.root, lo, hi))); diff != "" {
			t.Fatalf("diff %d in [%q, %q) (-want +got):\n%s", i, lo, hi, diff)
		}
	}
}

// TestDiffCost diffs trees of 100k entries that differ in k places: the
// identical subtrees are skipped by id.
func TestDiffCost(t *testing.T) {
	const seed = 8
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	ctx := context.Background()
	st := &MemStore{}
	files := seqFiles(100_000)
	root := build(t, st, files)
	depth := treeDepth(t, st, root)
	for _, k := range []int{1, 5, 20} {
		var changes []Change
		for _, i := range rng.Perm(len(files))[:k] {
			if i%2 == 0 {
				changes = append(changes, put(files[i].Path, 2))
			} else {
				changes = append(changes, Change{Path: files[i].Path, Op: OpDelete})
			}
		}
		sortChanges(changes)
		other, err := Apply(ctx, st, root, changes)
		if err != nil {
			t.Fatal(err)
		}
		st.ResetCounts()
		if got := diffTrees(t, st, root, other, "", ""); len(got) != k {
			t.Errorf("k=%d: %d differences", k, len(got))
		}
		gets, _ := st.Counts()
		limit := 2 * depth * (k + 1)
		t.Logf("k=%d: %d gets (limit %d)", k, gets, limit)
		if gets > limit {
			t.Errorf("k=%d: %d gets, want at most %d", k, gets, limit)
		}
	}
}

func TestDiffSameRootReadsNothing(t *testing.T) {
	st := &MemStore{}
	root := build(t, st, seqFiles(1000))
	st.ResetCounts()
	if got := diffTrees(t, st, root, root, "", ""); len(got) != 0 {
		t.Errorf("%d differences between a tree and itself", len(got))
	}
	if gets, _ := st.Counts(); gets != 0 {
		t.Errorf("%d gets", gets)
	}
}

func TestDiffStopsOnCallbackError(t *testing.T) {
	st := &MemStore{}
	a := build(t, st, seqFiles(100))
	stop := errors.New("stop")
	calls := 0
	err := Diff(context.Background(), st, a, "", func(old, new *File) error {
		calls++
		return stop
	})
	if err != stop || calls != 1 {
		t.Errorf("got %v after %d calls, want the callback's error after 1", err, calls)
	}
}
