package pfs

import (
	"context"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/chunk"
	"github.com/tuskdata/tusk/internal/tusk"
)

func countKeys(t *testing.T, st blob.Store, prefix string) int {
	n := 0
	if err := st.List(context.Background(), prefix, func(blob.Info) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestGCFreesOnlyUnreferenced(t *testing.T) {
	ctx := context.Background()
	st := blob.NewMemory()
	a := openTestAPI(t, st, t.TempDir()+"/meta.db")
	a.ttl = -time.Second // every lease is already over: only references protect data
	a.CreateRepo(ctx, "keep", "")
	a.CreateRepo(ctx, "drop", "")
	put(t, a, "keep@master", "/k", "kept content")
	put(t, a, "drop@master", "/d", "dropped content")
	before := countKeys(t, st, "packs/")
	stats, err := a.GC(ctx, true)
	if err != nil || stats.Objects != 0 {
		t.Fatalf("dry run with nothing to free: %+v, %v", stats, err)
	}
	if err := a.DeleteRepo(ctx, "drop", false); err != nil {
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
	if rep, err := a.Fsck(ctx); err != nil || len(rep.Damage) != 0 {
		t.Errorf("fsck after gc: %+v, %v", rep, err)
	}
}

func TestGCSparesLeasedUpload(t *testing.T) {
	ctx := context.Background()
	st := blob.NewMemory()
	a := openTestAPI(t, st, t.TempDir()+"/meta.db")
	a.CreateRepo(ctx, "data", "")
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
	a.CreateRepo(ctx, "data", "")
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
	if rep, err := a.Fsck(ctx); err != nil || len(rep.Damage) != 0 {
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
	a.CreateRepo(ctx, "data", "")
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
	if rep, err := a.Fsck(ctx); err != nil || len(rep.Damage) != 0 {
		t.Errorf("fsck: %+v, %v", rep, err)
	}
}
