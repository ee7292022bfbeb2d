package pfs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tuskdata/tusk/internal/blob/local"
	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/lru"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// bigText is the large file of the format 3 fixture, cut on its own and
// hashed by its chunks there.
func bigText() string {
	var b strings.Builder
	for i := 0; b.Len() < 4_300_000; i++ {
		fmt.Fprintf(&b, "line %d of a large file written by format 3\n", i)
	}
	return b.String()
}

// copyFixture copies a frozen store of testdata into a directory of the
// test's and returns that and its object store.
func copyFixture(t *testing.T, name string) (string, *local.Store) {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", name))); err != nil {
		t.Fatal(err)
	}
	st, err := local.Open(filepath.Join(dir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	return dir, st
}

// formatConfig returns the store's recorded format version, and whether
// chunks stored on their own are still to be moved into packs.
func formatConfig(a *API) (version, unpacked string) {
	ctx := context.Background()
	a.db.View(ctx, func(tx *meta.Tx) error {
		version, _, _ = tx.Config(ctx, "format_version")
		unpacked, _, _ = tx.Config(ctx, unpackedKey)
		return nil
	})
	return version, unpacked
}

// checkFixtureCommits checks that the two commits of repo images in a
// fixture of the given format read as that format wrote them, and returns
// what the head holds.
func checkFixtureCommits(t *testing.T, a *API, format int) []string {
	t.Helper()
	commits, err := a.ListCommits(context.Background(), tusk.DefaultProject, "images", nil, "", 0)
	if err != nil || len(commits) != 2 {
		t.Fatalf("commits of images: %v, %v; want two", commits, err)
	}
	file := func(name string) string { return fmt.Sprintf("/%s.txt=format %d file %s", name, format, name) }
	big := "/big.txt=" + bigText()
	want := map[string][]string{
		commits[1].ID: {file("a"), big, strings.Replace(file("b"), "/b.txt", "/dir/b.txt", 1)},
		commits[0].ID: {file("a"), big, file("c")},
	}
	for id, files := range want {
		if got := tree(t, a, "images@"+id); !cmp.Equal(got, files) {
			t.Errorf("commit %s reads %d files that differ from what format %d wrote", id, len(got), format)
		}
	}
	return want[commits[0].ID]
}

// testdata/format3 is a store written by Tusk's format 3 (a local object
// store, one object per chunk, and its SQLite metadata), frozen: repo
// images has two commits (/a.txt, /dir/b.txt and /big.txt; then /c.txt
// added and /dir/b.txt deleted), and a deleted repo left a chunk of
// garbage. Opened by this version, it is migrated in place: every chunk
// moves into a pack, and every commit reads as it did.
func TestFormat3StoreIsMigrated(t *testing.T) {
	ctx := context.Background()
	dir, st := copyFixture(t, "format3")
	loose := countKeys(t, st, "chunks/")
	if loose < 3 || countKeys(t, st, "packs/") != 0 {
		t.Fatalf("the fixture holds %d chunks and %d packs; want chunks only", loose, countKeys(t, st, "packs/"))
	}
	a := openTestAPI(t, st, filepath.Join(dir, "meta.db"))
	version, unpacked := formatConfig(a)
	if version != fmt.Sprint(FormatVersion) || unpacked != "0" {
		t.Errorf("after the open: format %s, migration pending %q; want %d and 0", version, unpacked, FormatVersion)
	}
	if n := countKeys(t, st, "chunks/"); n != 0 || countKeys(t, st, "packs/") == 0 {
		t.Errorf("after the open: %d chunks on their own, %d packs; want none and some", n, countKeys(t, st, "packs/"))
	}
	checkFixtureCommits(t, a, 3)
	big := bigText()
	rep, err := a.Fsck(ctx, false)
	if err != nil || len(rep.Damage) != 0 || rep.Packs == 0 {
		t.Errorf("fsck after the migration: %+v, %v", rep, err)
	}
	// The store goes on: a write, and a collection of the garbage.
	put(t, a, "images@master", "/d.txt", "written by format 4")
	a.ttl = -1
	if stats, err := a.GC(ctx, false); err != nil || stats.Objects == 0 {
		t.Errorf("gc of the fixture's garbage: %+v, %v", stats, err)
	}
	if got := read(t, a, "images@master:/big.txt"); got != big {
		t.Errorf("/big.txt after gc reads %d bytes that differ", len(got))
	}
	if rep, err := a.Fsck(ctx, false); err != nil || len(rep.Damage) != 0 {
		t.Errorf("fsck after gc: %+v, %v", rep, err)
	}
	// Opened again, nothing is left to migrate.
	b := openTestAPI(t, st, filepath.Join(dir, "meta.db"))
	if got := read(t, b, "images@master:/d.txt"); got != "written by format 4" {
		t.Errorf("/d.txt reads %q", got)
	}
}

// testdata/format4 is a store written by Tusk's format 4 (chunks in packs
// of the first index form, tree nodes one object each), frozen: repo
// images has two commits, and a deleted repo left a pack and a node of
// garbage. Opened by this version, it reads as it did where it is; new
// tree nodes go into packs, and the garbage of either kind is collected.
func TestFormat4StoreOpens(t *testing.T) {
	ctx := context.Background()
	dir, st := copyFixture(t, "format4")
	nodes, packs := countKeys(t, st, "nodes/"), countKeys(t, st, "packs/")
	if nodes != 3 || packs != 3 {
		t.Fatalf("the fixture holds %d nodes and %d packs; want 3 of each", nodes, packs)
	}
	a := openTestAPI(t, st, filepath.Join(dir, "meta.db"))
	version, unpacked := formatConfig(a)
	if version != fmt.Sprint(FormatVersion) || unpacked == "1" {
		t.Errorf("after the open: format %s, migration pending %q; want %d and none", version, unpacked, FormatVersion)
	}
	head := checkFixtureCommits(t, a, 4)
	if rep, err := a.Fsck(ctx, false); err != nil || len(rep.Damage) != 0 || rep.Packs != 3 {
		t.Errorf("fsck of the fixture: %+v, %v", rep, err)
	}
	put(t, a, "images@master", "/d.txt", "written by format 5")
	if n := countKeys(t, st, "nodes/"); n != nodes {
		t.Errorf("a commit stored %d tree nodes on their own; want them in packs", n-nodes)
	}
	a.ttl = -1
	if stats, err := a.GC(ctx, false); err != nil || stats.Objects < 2 {
		t.Errorf("gc of the fixture's garbage (a node and a pack's chunk): %+v, %v", stats, err)
	}
	if n := countKeys(t, st, "nodes/"); n != nodes-1 {
		t.Errorf("after gc %d tree nodes on their own, want %d: the garbage's gone", n, nodes-1)
	}
	a.nodes = fileset.Cached(nodeReader{a}, fileset.NewNodeCache(nodeCacheBytes))
	a.chunks = lru.New[string, []byte](chunkCacheBytes)
	if got := tree(t, a, "images@master"); !cmp.Equal(got, append(head, "/d.txt=written by format 5")) {
		t.Errorf("after gc images@master reads %v", got)
	}
	if rep, err := a.Fsck(ctx, false); err != nil || len(rep.Damage) != 0 {
		t.Errorf("fsck after gc: %+v, %v", rep, err)
	}
}
