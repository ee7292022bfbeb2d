package fileset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"testing"
)

// hexHash returns the hex SHA-256 of s.
func hexHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// testFile returns an entry at path whose content depends on version.
func testFile(path string, version int) File {
	content := fmt.Sprintf("%s@%d", path, version)
	n := int64(len(content))
	return File{
		Path: path,
		Size: n,
		Hash: hexHash(content),
		Refs: []DataRef{
			{Chunk: hexHash("chunk:" + content), Offset: 3, Length: n - 1},
			{Chunk: hexHash("tail:" + content), Offset: 0, Length: 1},
		},
	}
}

// withBoundaryBits lowers the boundary bits for one test, to grow deep
// trees from few entries.
func withBoundaryBits(t testing.TB, b int) {
	old := boundaryBits
	boundaryBits = b
	t.Cleanup(func() { boundaryBits = old })
}

// build returns the root of a tree holding files, sorted by path.
func build(t testing.TB, st NodeStore, files []File) string {
	t.Helper()
	ctx := context.Background()
	b := NewBuilder(st)
	for _, f := range files {
		if err := b.Add(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	root, err := b.Finish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// sorted returns the entries of a model in path order.
func sorted(m map[string]File) []File {
	var files []File
	for _, p := range slices.Sorted(maps.Keys(m)) {
		files = append(files, m[p])
	}
	return files
}

// list returns every entry of the tree at root.
func list(t testing.TB, st NodeStore, root string) []File {
	t.Helper()
	var files []File
	it := NewIterator(context.Background(), st, root)
	for f, ok := it.Next(); ok; f, ok = it.Next() {
		files = append(files, f)
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return files
}

// seqFiles returns n entries "/dir%04d/file%07d", 100 per directory.
func seqFiles(n int) []File {
	files := make([]File, n)
	for i := range files {
		files[i] = testFile(seqPath(i), 0)
	}
	return files
}

func seqPath(i int) string {
	return fmt.Sprintf("/dir%04d/file%07d", i/100, i)
}

// treeDepth returns the number of levels of the tree at root.
func treeDepth(t testing.TB, st NodeStore, root string) int {
	t.Helper()
	n, err := getNode(context.Background(), st, root)
	if err != nil {
		t.Fatal(err)
	}
	return n.level + 1
}

// checkCanonical verifies the shape of the tree at root against the
// boundary rule: inside a level-L node only the last key may have height
// > L, and it must unless the node is the last of its level; the root has
// several children or is a leaf.
func checkCanonical(t testing.TB, st NodeStore, root string) {
	t.Helper()
	if root == "" {
		return
	}
	ctx := context.Background()
	n, err := getNode(ctx, st, root)
	if err != nil {
		t.Fatal(err)
	}
	if n.level > 0 && len(n.refs) == 1 {
		t.Fatalf("root %s has a single child", root)
	}
	var check func(n *node, lo string, rightmost bool)
	check = func(n *node, lo string, rightmost bool) {
		for i := 0; i < n.len(); i++ {
			h, last := height(n.key(i)), i == n.len()-1
			if !last && h > n.level {
				t.Fatalf("level %d node holds boundary key %q (height %d) before its end", n.level, n.key(i), h)
			}
			if last && !rightmost && h <= n.level {
				t.Fatalf("level %d node ends at %q of height %d", n.level, n.key(i), h)
			}
		}
		for i, r := range n.refs {
			c, err := loadChild(ctx, st, r, n.level-1, lo)
			if err != nil {
				t.Fatal(err)
			}
			check(c, lo, rightmost && i == len(n.refs)-1)
			lo = r.Last
		}
	}
	check(n, "", true)
}

// recordStore records the ids of the nodes put into it.
type recordStore struct {
	NodeStore
	puts []string
}

func (r *recordStore) PutNode(ctx context.Context, id string, data []byte) error {
	r.puts = append(r.puts, id)
	return r.NodeStore.PutNode(ctx, id, data)
}

// reachable returns the ids of the nodes of the tree at root, reading all
// of them.
func reachable(t testing.TB, st NodeStore, root string) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	seen := func(id string) bool {
		if ids[id] {
			return true
		}
		ids[id] = true
		return false
	}
	if err := Walk(context.Background(), st, root, seen, func(File) error { return nil }); err != nil {
		t.Fatal(err)
	}
	return ids
}
