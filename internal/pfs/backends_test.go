package pfs

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tuskdata/tusk/internal/blob"
	blobopen "github.com/tuskdata/tusk/internal/blob/open"
	"github.com/tuskdata/tusk/internal/chunk"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// sharedScenario writes through one API and collects garbage through
// another that shares its stores, as two servers would: the upload in
// flight on the first must survive the second's collection, because its
// protection lives in the metadata store.
func sharedScenario(t *testing.T, objects func() Objects, dsn string) {
	ctx := context.Background()
	a1 := openTestAPI(t, objects(), dsn)
	a2 := openTestAPI(t, objects(), dsn)
	if _, err := a1.CreateRepo(ctx, tusk.DefaultProject, "data", ""); err != nil {
		t.Fatal(err)
	}
	put(t, a1, "data@master", "/old", "old content that becomes garbage")
	c, _ := a1.InspectCommit(ctx, mustRef(t, "data@master"))
	a2.ttl = -time.Second
	ops := upload(t, a1, [][2]string{{"/new", "uploaded, not yet committed"}}, false)
	if _, err := a2.GC(ctx, false); err != nil {
		t.Fatal(err)
	}
	if _, err := a1.ModifyFiles(ctx, mustRef(t, "data@master"), ops); err != nil {
		t.Fatalf("commit after another server's collection: %v", err)
	}
	if got := tree(t, a2, "data@master"); !cmp.Equal(got, []string{"/new=uploaded, not yet committed", "/old=old content that becomes garbage"}) {
		t.Errorf("tree read by the other server = %v", got)
	}
	// A client that sent its chunks to a1 and then, a1 gone after it
	// wrote its pack but before it recorded it, its operations to a2: a2
	// finds them in the pack.
	ops = upload(t, a1, [][2]string{{"/orphan", "sent to a server that died before its flush"}}, false)
	dieBeforeRecord(t, a1)
	if _, err := a2.ModifyFiles(ctx, mustRef(t, "data@master"), ops); err != nil {
		t.Fatalf("commit on another server of chunks it did not record: %v", err)
	}
	if got := read(t, a2, "data@master:/orphan"); got != "sent to a server that died before its flush" {
		t.Errorf("read /orphan = %q", got)
	}
	// Bytes in the store that do not match their address are not taken,
	// in a pack or in an object of their own (format 3).
	bad := chunk.ID([]byte("never sent whole"))
	torn := &packBuilder{}
	torn.add(chunk.Key(bad), chunk.Encode([]byte("something else")))
	if _, _, _, err := a1.writePack(ctx, torn); err != nil {
		t.Fatal(err)
	}
	bad3 := chunk.ID([]byte("never sent whole either"))
	if err := a1.objects.Put(ctx, chunk.Key(bad3), chunk.Encode([]byte("something else"))); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{bad, bad3} {
		torn := []tusk.FileOp{{Op: tusk.OpPut, Path: "/torn", Size: 16, Refs: []tusk.DataRef{{Chunk: id, Length: 16}}}}
		if _, err := a2.ModifyFiles(ctx, mustRef(t, "data@master"), torn); tusk.KindOf(err) != tusk.KindInvalid || !strings.Contains(err.Error(), "not stored") {
			t.Errorf("commit of a chunk whose stored bytes do not match: %v; want it refused as not stored", err)
		}
	}
	if _, err := a2.SquashCommit(ctx, &tusk.Ref{Repo: "data", ID: c.ID}, ""); err != nil {
		t.Fatal(err)
	}
	if rep, err := a1.Fsck(ctx, false); err != nil || len(rep.Damage) != 0 {
		t.Errorf("fsck: %+v, %v", rep, err)
	}
}

func TestTwoServersShareSQLiteAndDisk(t *testing.T) {
	st := blob.NewMemory()
	sharedScenario(t, func() Objects { return st }, filepath.Join(t.TempDir(), "meta.db"))
}

func TestTwoServersSharePostgresAndS3(t *testing.T) {
	s3url := testenv.Require(t, "s3", "TUSK_TEST_S3")
	dsn := testenv.PostgresDatabase(t)
	prefix := "pfs-" + strings.ToLower(rand.Text())
	u := s3url
	if i := strings.Index(u, "?"); i >= 0 {
		u = strings.TrimSuffix(u[:i], "/") + "/" + prefix + u[i:]
	} else {
		u = strings.TrimSuffix(u, "/") + "/" + prefix
	}
	open := func() Objects {
		st, err := blobopen.Open(context.Background(), u, blobopen.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	sharedScenario(t, open, dsn)
	// A pack really landed in the bucket, under its key.
	st := open()
	n := 0
	st.(blob.Store).List(context.Background(), "packs/", func(i blob.Info) error {
		n++
		if !strings.HasPrefix(i.Key, "packs/"+strings.TrimPrefix(i.Key, "packs/")[:2]+"/") || len(strings.TrimPrefix(i.Key, "packs/")) != 3+64 {
			t.Errorf("odd pack key %s", i.Key)
		}
		return nil
	})
	if n == 0 {
		t.Error("no pack in the bucket")
	}
}

func TestEventsCrossServersOnPostgres(t *testing.T) {
	defer func(d time.Duration) { waitPoll = d }(waitPoll)
	waitPoll = time.Hour // only an event may end the wait
	dsn := testenv.PostgresDatabase(t)
	st := blob.NewMemory()
	a1 := openTestAPI(t, st, dsn)
	a2 := openTestAPI(t, st, dsn)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	go a2.RelayEvents(ctx)
	if _, err := a1.CreateRepo(ctx, tusk.DefaultProject, "data", ""); err != nil {
		t.Fatal(err)
	}
	// The relay listens once it has connected: write on the first server
	// until the second hears of it.
	events, stop := a2.Subscribe()
	for heard := false; !heard; {
		put(t, a1, "data@master", "/warm", "up")
		select {
		case <-events:
			heard = true
		case <-time.After(500 * time.Millisecond):
		case <-ctx.Done():
			t.Fatal("the other server heard of no commit")
		}
	}
	stop()
	waitWhileAnotherFinishes(ctx, t, a1, a2)
}

// TestWaitCommitLooksAgain finishes a commit behind the back of a server
// that waits for it, as when an event from another server is lost: the
// wait must still end.
func TestWaitCommitLooksAgain(t *testing.T) {
	defer func(d time.Duration) { waitPoll = d }(waitPoll)
	waitPoll = 50 * time.Millisecond
	st := blob.NewMemory()
	dsn := filepath.Join(t.TempDir(), "meta.db")
	a1 := openTestAPI(t, st, dsn)
	a2 := openTestAPI(t, st, dsn) // SQLite: no events between the two
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := a1.CreateRepo(ctx, tusk.DefaultProject, "data", ""); err != nil {
		t.Fatal(err)
	}
	waitWhileAnotherFinishes(ctx, t, a1, a2)
}

// waitWhileAnotherFinishes starts a commit of data@master on a1, waits
// for it on a2 while a1 finishes it, and fails t unless the wait ends.
func waitWhileAnotherFinishes(ctx context.Context, t *testing.T, a1, a2 *API) {
	t.Helper()
	c, err := a1.StartCommit(ctx, tusk.DefaultProject, "data", "master", "")
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() {
		_, err := a2.WaitCommit(ctx, &tusk.Ref{Repo: "data", ID: c.ID}, "")
		waited <- err
	}()
	if _, err := a1.FinishCommit(ctx, mustRef(t, "data@master"), "", ""); err != nil {
		t.Fatal(err)
	}
	if err := <-waited; err != nil {
		t.Fatalf("wait commit on the other server: %v", err)
	}
}
