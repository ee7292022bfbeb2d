package pfs

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/chunk"
	"github.com/tuskdata/tusk/internal/lru"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

func countKeys(t *testing.T, st blob.Store, prefix string) int {
	return len(keysUnder(t, st, prefix))
}

func TestGCFreesOnlyUnreferenced(t *testing.T) {
	ctx := context.Background()
	st := blob.NewMemory()
	a := openTestAPI(t, st, t.TempDir()+"/meta.db")
	a.ttl = -time.Second // every lease is already over: only references protect data
	a.CreateRepo(ctx, tusk.DefaultProject, "keep", "")
	a.CreateRepo(ctx, tusk.DefaultProject, "drop", "")
	put(t, a, "keep@master", "/k", "kept content")
	put(t, a, "drop@master", "/d", "dropped content")
	before := countKeys(t, st, "packs/")
	stats, err := a.GC(ctx, true)
	if err != nil || stats.Objects != 0 {
		t.Fatalf("dry run with nothing to free: %+v, %v", stats, err)
	}
	if err := a.DeleteRepo(ctx, tusk.DefaultProject, "drop", false); err != nil {
		t.Fatal(err)
	}
	dry, err := a.GC(ctx, true)
	if err != nil || dry.Objects == 0 || dry.BytesFreed == 0 {
		t.Fatalf("dry run after delete: %+v, %v", dry, err)
	}
	if countKeys(t, st, "packs/") != before {
		t.Fatal("a dry run deleted data")
	}
	real, err := a.GC(ctx, false)
	if err != nil || real.Objects != dry.Objects || real.BytesFreed != dry.BytesFreed {
		t.Fatalf("gc = %+v, dry run said %+v (%v)", real, dry, err)
	}
	if got := read(t, a, "keep@master:/k"); got != "kept content" {
		t.Errorf("kept file reads %q", got)
	}
	if rep, err := a.Fsck(ctx, false); err != nil || len(rep.Damage) != 0 {
		t.Errorf("fsck after gc: %+v, %v", rep, err)
	}
}

func TestGCSparesLeasedUpload(t *testing.T) {
	ctx := context.Background()
	st := blob.NewMemory()
	a := openTestAPI(t, st, t.TempDir()+"/meta.db")
	a.CreateRepo(ctx, tusk.DefaultProject, "data", "")
	// An upload in flight: its chunk is stored and leased but no commit
	// refers to it yet.
	ops := upload(t, a, [][2]string{{"/f", "in flight"}}, false)
	if _, err := a.GC(ctx, false); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ModifyFiles(ctx, mustRef(t, "data@master"), ops); err != nil {
		t.Fatalf("commit after a collection: %v", err)
	}
	if got := read(t, a, "data@master:/f"); got != "in flight" {
		t.Errorf("read %q", got)
	}
}

func TestGCRacesWithReuse(t *testing.T) {
	ctx := context.Background()
	st := blob.NewMemory()
	a := openTestAPI(t, st, t.TempDir()+"/meta.db")
	a.CreateRepo(ctx, tusk.DefaultProject, "data", "")
	a.ttl = -time.Second
	put(t, a, "data@master", "/f", "shared bytes")
	a.ttl = time.Hour
	c, _ := a.InspectCommit(ctx, mustRef(t, "data@master"))
	if _, err := a.DeleteCommit(ctx, &tusk.Ref{Repo: "data", ID: c.ID}, ""); err != nil {
		t.Fatal(err)
	}
	// The data is now garbage once its lease ends. A new upload of the
	// same content reuses the chunk: that renews its lease, so a sweep
	// that starts afterwards must leave it alone.
	id := chunk.ID([]byte("shared bytes"))
	if missing, err := a.MissingChunks(ctx, []string{id}); err != nil || len(missing) != 0 {
		t.Fatalf("missing = %v, %v", missing, err)
	}
	if _, err := a.GC(ctx, false); err != nil {
		t.Fatal(err)
	}
	if _, err := a.readChunkUncached(ctx, id); err != nil {
		t.Fatalf("a reused chunk was collected: %v", err)
	}
	if _, err := a.ModifyFiles(ctx, mustRef(t, "data@master"), upload(t, a, [][2]string{{"/f", "shared bytes"}}, false)); err != nil {
		t.Fatal(err)
	}
	if rep, err := a.Fsck(ctx, false); err != nil || len(rep.Damage) != 0 {
		t.Errorf("fsck: %+v, %v", rep, err)
	}
}

// A crash between writing a pack and recording it leaves only the pack,
// which nothing refers to: the collector deletes it once its lease ends,
// and no commit refers to a chunk in it meanwhile.
func TestGCDeletesPackNeverRecorded(t *testing.T) {
	ctx := context.Background()
	st := blob.NewMemory()
	a := openTestAPI(t, st, t.TempDir()+"/meta.db")
	a.CreateRepo(ctx, tusk.DefaultProject, "data", "")
	put(t, a, "data@master", "/kept", "committed before the crash")
	ops := upload(t, a, [][2]string{{"/lost", "sent before the crash"}}, false)
	before := countKeys(t, st, "packs/")
	dieBeforeRecord(t, a)
	if n := countKeys(t, st, "packs/"); n != before+1 {
		t.Fatalf("%d packs after the crash, want %d", n, before+1)
	}
	if missing, err := a.MissingChunks(ctx, []string{ops[0].Refs[0].Chunk}); err != nil || len(missing) != 1 {
		t.Errorf("MissingChunks of a chunk in a pack never recorded = %v, %v; want it missing", missing, err)
	}
	if stats, err := a.GC(ctx, false); err != nil || countKeys(t, st, "packs/") != before+1 {
		t.Fatalf("gc while the pack's lease holds deleted it: %+v, %v", stats, err)
	}
	// A second crash, of a server whose leases end at once.
	a.ttl = -time.Second
	upload(t, a, [][2]string{{"/lost2", "sent before the second crash"}}, false)
	dieBeforeRecord(t, a)
	stats, err := a.GC(ctx, false)
	if err != nil || stats.Objects == 0 || countKeys(t, st, "packs/") != before+1 {
		t.Fatalf("gc after the lease ended: %+v, %v; %d packs left, want %d", stats, err, countKeys(t, st, "packs/"), before+1)
	}
	if got := read(t, a, "data@master:/kept"); got != "committed before the crash" {
		t.Errorf("read /kept = %q", got)
	}
	if rep, err := a.Fsck(ctx, false); err != nil || len(rep.Damage) != 0 {
		t.Errorf("fsck: %+v, %v", rep, err)
	}
}

// A pack less than half used is repacked: its live chunks move into a
// new pack, and the old one goes.
func TestGCRepacksMostlyDeadPack(t *testing.T) {
	ctx := context.Background()
	st := blob.NewMemory()
	a := openTestAPI(t, st, t.TempDir()+"/meta.db")
	a.ttl = -time.Second
	a.CreateRepo(ctx, tusk.DefaultProject, "keep", "")
	a.CreateRepo(ctx, tusk.DefaultProject, "drop", "")
	rng := rand.New(rand.NewPCG(1, 2))
	kept := string(randomBytes(rng, 100_000))
	// Both uploads land in one pack, at the first commit's flush.
	keepOps := upload(t, a, [][2]string{{"/k", kept}}, false)
	dropOps := upload(t, a, [][2]string{{"/d", string(randomBytes(rng, 900_000))}}, false)
	if _, err := a.ModifyFiles(ctx, mustRef(t, "keep@master"), keepOps); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ModifyFiles(ctx, mustRef(t, "drop@master"), dropOps); err != nil {
		t.Fatal(err)
	}
	packs := chunkPacks(t, a, st)
	if len(packs) != 1 {
		t.Fatalf("%d packs of chunks, want the one", len(packs))
	}
	if err := a.DeleteRepo(ctx, tusk.DefaultProject, "drop", false); err != nil {
		t.Fatal(err)
	}
	dry, err := a.GC(ctx, true)
	if err != nil || dry.Repacked != 1 || dry.BytesFreed < 800_000 {
		t.Fatalf("dry run: %+v, %v; want one pack repacked, 800 kB freed at least", dry, err)
	}
	real, err := a.GC(ctx, false)
	if err != nil || real.Repacked != dry.Repacked || real.BytesFreed != dry.BytesFreed || real.Objects != dry.Objects {
		t.Fatalf("gc = %+v, dry run said %+v (%v)", real, dry, err)
	}
	after := chunkPacks(t, a, st)
	if len(after) != 1 || after[0] == packs[0] {
		t.Errorf("packs after the repack: %v, want one new one instead of %v", after, packs)
	}
	a.chunks = lru.New[string, []byte](chunkCacheBytes) // read from the store, not the cache
	if got := read(t, a, "keep@master:/k"); got != kept {
		t.Errorf("the kept file reads %d bytes that differ from what was put", len(got))
	}
	if rep, err := a.Fsck(ctx, false); err != nil || len(rep.Damage) != 0 {
		t.Errorf("fsck after the repack: %+v, %v", rep, err)
	}
	if again, err := a.GC(ctx, false); err != nil || again.Repacked != 0 || again.Objects != 0 {
		t.Errorf("a second gc: %+v, %v; want nothing to do", again, err)
	}
}

// chunkPacks returns the packs in st that hold chunks (the others hold
// tree nodes only).
func chunkPacks(t *testing.T, a *API, st blob.Store) []string {
	t.Helper()
	var out []string
	for _, p := range keysUnder(t, st, "packs/") {
		entries, err := a.readPackIndex(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(entries, func(e meta.PackEntry) bool { return !isNodeKey(e.Chunk) }) {
			out = append(out, p)
		}
	}
	return out
}

func keysUnder(t *testing.T, st blob.Store, prefix string) []string {
	t.Helper()
	var keys []string
	if err := st.List(context.Background(), prefix, func(i blob.Info) error { keys = append(keys, i.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	return keys
}
