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
	before := countKeys(t, st, "chunks/")
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
	if countKeys(t, st, "chunks/") != before {
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
	if _, err := st.Get(ctx, chunk.Key(id)); err != nil {
		t.Fatalf("a reused chunk was collected: %v", err)
	}
	if _, err := a.ModifyFiles(ctx, mustRef(t, "data@master"), upload(t, a, [][2]string{{"/f", "shared bytes"}}, false)); err != nil {
		t.Fatal(err)
	}
	if rep, err := a.Fsck(ctx); err != nil || len(rep.Damage) != 0 {
		t.Errorf("fsck: %+v, %v", rep, err)
	}
}
