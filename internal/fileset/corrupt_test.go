package fileset

import (
	"context"
	"errors"
	"testing"
)

func putLeaf(t *testing.T, st NodeStore, files ...File) string {
	t.Helper()
	raw, err := encodeLeaf(nil, files)
	return putRaw(t, st, raw, err)
}

func putInternal(t *testing.T, st NodeStore, level int, refs ...ref) string {
	t.Helper()
	raw, err := encodeInternal(nil, level, refs)
	return putRaw(t, st, raw, err)
}

// putRaw seals and stores an encoded node and returns its id.
func putRaw(t *testing.T, st NodeStore, raw []byte, err error) string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	data, id := seal(raw)
	if err := st.PutNode(context.Background(), id, data); err != nil {
		t.Fatal(err)
	}
	return id
}

// readAll runs every read operation on root and returns their errors.
func readAll(st NodeStore, root string) map[string]error {
	ctx := context.Background()
	errs := map[string]error{}
	_, _, errs["Get"] = Get(ctx, st, root, "/b")
	it := NewIterator(ctx, st, root)
	for _, ok := it.Next(); ok; _, ok = it.Next() {
	}
	errs["Iterator"] = it.Err()
	_, _, errs["RangeStats"] = RangeStats(ctx, st, root, "/a!", "/c!")
	errs["Diff"] = Diff(ctx, st, root, "", func(*File, *File) error { return nil })
	errs["Walk"] = Walk(ctx, st, root, func(string) bool { return false }, func(File) error { return nil })
	_, errs["Apply"] = Apply(ctx, st, root, []Change{put("/b", 9)})
	return errs
}

// TestCorruptTrees reads trees whose nodes decode but do not fit together.
func TestCorruptTrees(t *testing.T) {
	st := &MemStore{}
	leafAB := putLeaf(t, st, testFile("/a", 1), testFile("/b", 1))
	leafC := putLeaf(t, st, testFile("/c", 1))
	ab := ref{Last: "/b", ID: leafAB, Count: 2, Bytes: 8}
	c := ref{Last: "/c", ID: leafC, Count: 1, Bytes: 4}
	inner := putInternal(t, st, 1, ab, c)

	for name, refs := range map[string][]ref{
		"wrong last key":  {{Last: "/bb", ID: leafAB, Count: 2, Bytes: 8}, c},
		"wrong count":     {{Last: "/b", ID: leafAB, Count: 3, Bytes: 8}, c},
		"wrong bytes":     {{Last: "/b", ID: leafAB, Count: 2, Bytes: 9}, c},
		"overlap":         {{Last: "/a", ID: leafC, Count: 1, Bytes: 4}, ab},
		"wrong level":     {{Last: "/c", ID: inner, Count: 3, Bytes: 12}, {Last: "/d", ID: leafC, Count: 1, Bytes: 4}},
		"missing child":   {ab, {Last: "/c", ID: hexHash("nothing"), Count: 1, Bytes: 4}},
		"hash mismatch":   {ab, {Last: "/c", ID: leafAB, Count: 1, Bytes: 4}},
		"bad child bytes": {ab, {Last: "/c", ID: putBytes(t, st, "garbage"), Count: 1, Bytes: 4}},
	} {
		root := putInternal(t, st, 1, refs...)
		for op, err := range readAll(st, root) {
			want := ErrCorrupt
			if name == "missing child" {
				want = ErrNodeNotFound
			}
			if op == "Get" && err == nil || op == "RangeStats" && err == nil {
				continue // may legitimately not read the bad node
			}
			if !errors.Is(err, want) {
				t.Errorf("%s: %s: got %v, want %v", name, op, err, want)
			}
		}
	}
}

// putBytes stores data under its own hash, so only decoding fails.
func putBytes(t *testing.T, st NodeStore, data string) string {
	t.Helper()
	id := hexHash(data)
	if err := st.PutNode(context.Background(), id, []byte(data)); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestCorruptRoot(t *testing.T) {
	ctx := context.Background()
	st := &MemStore{}
	root := putBytes(t, st, "\x28\xb5\x2f\xfd garbage")
	for op, err := range readAll(st, root) {
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: got %v, want ErrCorrupt", op, err)
		}
	}
	if _, _, err := Stat(ctx, st, root); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Stat: got %v, want ErrCorrupt", err)
	}
}
