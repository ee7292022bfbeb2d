package pfs

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/chunk"
	"github.com/tuskdata/tusk/internal/tusk"
)

// packCount returns how many packs the store holds.
func packCount(t *testing.T, st blob.Store) int {
	t.Helper()
	return countKeys(t, st, "packs/")
}

// buffered returns how many chunks the API holds for its next pack.
func buffered(a *API) int {
	a.wb.mu.Lock()
	defer a.wb.mu.Unlock()
	if a.wb.pack == nil {
		return 0
	}
	return len(a.wb.pack.entries)
}

// dieBeforeRecord writes the chunks buffered by a as a pack without
// recording it, and forgets them, as a server that dies right between
// the two would.
func dieBeforeRecord(t *testing.T, a *API) {
	t.Helper()
	a.wb.mu.Lock()
	p := a.wb.pack
	a.wb.pack = nil
	clear(a.wb.buffer)
	a.wb.mu.Unlock()
	if p == nil {
		t.Fatal("no chunk buffered")
	}
	if _, _, _, err := a.writePack(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}

func TestCommitPacksTheChunksItRefersTo(t *testing.T) {
	ctx := context.Background()
	st := blob.NewMemory()
	a := openTestAPI(t, st, filepath.Join(t.TempDir(), "meta.db"))
	if _, err := a.CreateRepo(ctx, tusk.DefaultProject, "data", ""); err != nil {
		t.Fatal(err)
	}
	before := packCount(t, st)
	ops := upload(t, a, [][2]string{{"/a", "alpha"}, {"/b", strings.Repeat("beta", 1<<18)}}, false)
	n := buffered(a)
	if n == 0 || packCount(t, st) != before {
		t.Fatalf("the upload left %d chunks buffered and wrote %d packs; want some, and none", n, packCount(t, st)-before)
	}
	// Not yet durable, so not yet known: another upload would send them.
	var ids []string
	for _, op := range ops {
		for _, r := range op.Refs {
			ids = append(ids, r.Chunk)
		}
	}
	if missing, err := a.MissingChunks(ctx, ids); err != nil || len(missing) != len(ids) {
		t.Errorf("MissingChunks before the commit = %v, %v; want all %d", missing, err, len(ids))
	}
	if _, err := a.ModifyFiles(ctx, mustRef(t, "data@master"), ops); err != nil {
		t.Fatal(err)
	}
	if buffered(a) != 0 || packCount(t, st) != before+2 {
		t.Errorf("after the commit: %d chunks buffered, %d packs written; want 0, and two: its chunks, then its tree nodes", buffered(a), packCount(t, st)-before)
	}
	if missing, err := a.MissingChunks(ctx, ids); err != nil || len(missing) != 0 {
		t.Errorf("MissingChunks after the commit = %v, %v; want none", missing, err)
	}
	if got := read(t, a, "data@master:/a"); got != "alpha" {
		t.Errorf("read /a = %q", got)
	}
}

func TestStoredChunkIsNotWrittenAgain(t *testing.T) {
	ctx := context.Background()
	st := blob.NewMemory()
	a := openTestAPI(t, st, filepath.Join(t.TempDir(), "meta.db"))
	if _, err := a.CreateRepo(ctx, tusk.DefaultProject, "data", ""); err != nil {
		t.Fatal(err)
	}
	put(t, a, "data@master", "/a", "some content")
	data := []byte("some content")
	if err := a.PutChunk(ctx, chunk.ID(data), chunk.Encode(data)); err != nil {
		t.Fatal(err)
	}
	if n := buffered(a); n != 0 {
		t.Errorf("a chunk sent again was taken again: %d buffered", n)
	}
}

// A chunk that MissingChunks leased may be taken once without a lease
// of its own; once committed, sending it again must not take it again.
func TestLeasedChunkIsWrittenOnce(t *testing.T) {
	ctx := context.Background()
	st := blob.NewMemory()
	a := openTestAPI(t, st, filepath.Join(t.TempDir(), "meta.db"))
	if _, err := a.CreateRepo(ctx, tusk.DefaultProject, "data", ""); err != nil {
		t.Fatal(err)
	}
	data := []byte("leased content")
	id := chunk.ID(data)
	if missing, err := a.MissingChunks(ctx, []string{id}); err != nil || len(missing) != 1 {
		t.Fatalf("MissingChunks = %v, %v; want the chunk", missing, err)
	}
	for range 2 {
		if err := a.PutChunk(ctx, id, chunk.Encode(data)); err != nil {
			t.Fatal(err)
		}
	}
	if n := buffered(a); n != 1 {
		t.Fatalf("the leased chunk sent twice was taken %d times, want once", n)
	}
	ops := []tusk.FileOp{{Op: tusk.OpPut, Path: "/f", Size: int64(len(data)), Hash: id,
		Refs: []tusk.DataRef{{Chunk: id, Length: int64(len(data))}}}}
	if _, err := a.ModifyFiles(ctx, mustRef(t, "data@master"), ops); err != nil {
		t.Fatal(err)
	}
	if err := a.PutChunk(ctx, id, chunk.Encode(data)); err != nil {
		t.Fatal(err)
	}
	if n := buffered(a); n != 0 {
		t.Errorf("a committed chunk sent again was taken again: %d buffered", n)
	}
	if got := read(t, a, "data@master:/f"); got != string(data) {
		t.Errorf("read /f = %q", got)
	}
}

// Two uploads of the same new chunk: the second asks about it after the
// first sent it but before the first commits, and sends it after. The
// chunk, packed and committed by then, must not be packed again.
func TestChunkCommittedMeanwhileIsNotWrittenOver(t *testing.T) {
	ctx := context.Background()
	st := blob.NewMemory()
	a := openTestAPI(t, st, filepath.Join(t.TempDir(), "meta.db"))
	if _, err := a.CreateRepo(ctx, tusk.DefaultProject, "data", ""); err != nil {
		t.Fatal(err)
	}
	data := []byte("sent by two uploads")
	id := chunk.ID(data)
	for _, who := range []string{"first", "second"} {
		if missing, err := a.MissingChunks(ctx, []string{id}); err != nil || len(missing) != 1 {
			t.Fatalf("MissingChunks for the %s upload = %v, %v; want the chunk", who, missing, err)
		}
		if who == "first" {
			if err := a.PutChunk(ctx, id, chunk.Encode(data)); err != nil {
				t.Fatal(err)
			}
		}
	}
	ops := []tusk.FileOp{{Op: tusk.OpPut, Path: "/f", Size: int64(len(data)), Hash: id,
		Refs: []tusk.DataRef{{Chunk: id, Length: int64(len(data))}}}}
	if _, err := a.ModifyFiles(ctx, mustRef(t, "data@master"), ops); err != nil {
		t.Fatal(err)
	}
	if err := a.PutChunk(ctx, id, chunk.Encode(data)); err != nil {
		t.Fatal(err)
	}
	if n := buffered(a); n != 0 {
		t.Errorf("the second upload took the committed chunk again (%d buffered)", n)
	}
}

// A pack's worth of chunks is written while the upload goes on, before
// any commit; a pack whose write failed is written by the commit, and
// until then its chunks are not known as stored.
func TestPacksAreWrittenWhileUploadsGoOn(t *testing.T) {
	ctx := context.Background()
	st := blob.NewFaulty(blob.NewMemory())
	a := openTestAPI(t, st, filepath.Join(t.TempDir(), "meta.db"))
	if _, err := a.CreateRepo(ctx, tusk.DefaultProject, "data", ""); err != nil {
		t.Fatal(err)
	}
	before := packCount(t, st)
	var failed atomic.Int32
	st.FailIf(func(op blob.Op, key string) bool {
		return op == blob.OpPut && isPackKey(key) && failed.Add(1) == 1
	})
	rng := rand.NewChaCha8([32]byte{7})
	files := make([][2]string, 5)
	for i := range files {
		data := make([]byte, 16<<20)
		rng.Read(data)
		files[i] = [2]string{fmt.Sprintf("/f%d", i), string(data)}
	}
	ops := upload(t, a, files, false)
	a.wb.mu.Lock()
	writing := a.wb.inFlight()
	a.wb.mu.Unlock()
	if err := waitAll(ctx, writing); err != nil {
		t.Fatal(err)
	}
	if got := packCount(t, st) - before; got != 1 {
		t.Fatalf("%d packs written before the commit, want 1: two filled, and the first one's write failed", got)
	}
	a.wb.mu.Lock()
	held, pending := len(a.wb.buffer), len(a.wb.failed)
	a.wb.mu.Unlock()
	if pending != 1 || held == 0 {
		t.Fatalf("%d packs kept after a failed write, %d chunks held; want 1 and some", pending, held)
	}
	var ids []string
	for _, op := range ops {
		for _, r := range op.Refs {
			ids = append(ids, r.Chunk)
		}
	}
	missing, err := a.MissingChunks(ctx, ids)
	if err != nil || len(missing) == 0 || len(missing) == len(ids) {
		t.Fatalf("MissingChunks before the commit: %d of %d, %v; want those of the failed pack and the last", len(missing), len(ids), err)
	}
	if _, err := a.ModifyFiles(ctx, mustRef(t, "data@master"), ops); err != nil {
		t.Fatal(err)
	}
	if got := packCount(t, st) - before; got != 4 {
		t.Errorf("%d packs after the commit, want 4: two full ones, the last chunks, the tree nodes", got)
	}
	a.wb.mu.Lock()
	held, pending = len(a.wb.buffer), len(a.wb.failed)
	a.wb.mu.Unlock()
	if held != 0 || pending != 0 {
		t.Errorf("after the commit %d chunks and %d packs are still held", held, pending)
	}
	for _, f := range files {
		if got := read(t, a, "data@master:"+f[0]); got != f[1] {
			t.Errorf("%s reads back %d bytes, not what was put", f[0], len(got))
		}
	}
}

// slowPacks is a store whose pack writes take a while, as a disk's do:
// the time is what the test needs, as a flush that does not wait for a
// pack written in the background returns well before it is recorded.
type slowPacks struct{ blob.Store }

func (s slowPacks) Put(ctx context.Context, key string, data []byte) error {
	if isPackKey(key) {
		time.Sleep(200 * time.Millisecond)
	}
	return s.Store.Put(ctx, key, data)
}

// A flush waits for every pack cut before it took its own, not only for
// those already being written when it began: here both writers are busy
// when an upload's chunk goes into the next pack, another upload fills
// that pack and waits for a writer, and the first upload's flush begins;
// a writer then takes the full pack. The flush must not return before
// that pack, which holds the first upload's chunk, is recorded.
func TestFlushWaitsForPacksCutMeanwhile(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a := openTestAPI(t, slowPacks{blob.NewMemory()}, filepath.Join(t.TempDir(), "meta.db"))
	small := []byte("the first upload's chunk")
	if err := a.PutChunk(ctx, chunk.ID(small), chunk.Encode(small)); err != nil {
		t.Fatal(err)
	}
	// Both writers busy, with packs of their own.
	busy := []chan struct{}{make(chan struct{}), make(chan struct{})}
	a.wb.mu.Lock()
	for _, done := range busy {
		a.wb.writing[done] = true
		a.wb.slots <- struct{}{}
	}
	a.wb.mu.Unlock()
	full := func() bool {
		a.wb.mu.Lock()
		defer a.wb.mu.Unlock()
		return a.wb.pack.full()
	}
	rng := rand.NewChaCha8([32]byte{3})
	filled := make(chan error, 1)
	go func() {
		// 32 chunks of 1 MiB fill the pack: the last one waits for a writer.
		for range packTarget >> 20 {
			data := make([]byte, 1<<20)
			rng.Read(data)
			if err := a.PutChunk(ctx, chunk.ID(data), chunk.Encode(data)); err != nil {
				filled <- err
				return
			}
		}
		filled <- nil
	}()
	waitUntil(t, ctx, full)
	flushed := make(chan error, 1)
	go func() { flushed <- a.flushWrites(ctx) }()
	// The flush begins, and waits for the busy writers.
	waitUntil(t, ctx, func() bool {
		if a.wb.flushMu.TryLock() {
			a.wb.flushMu.Unlock()
			return false
		}
		return true
	})
	<-a.wb.slots // one of them is done: the full pack takes its place
	if err := <-filled; err != nil {
		t.Fatal(err)
	}
	a.wb.mu.Lock()
	for _, done := range busy {
		delete(a.wb.writing, done)
		close(done)
	}
	a.wb.mu.Unlock()
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	if missing, err := a.MissingChunks(ctx, []string{chunk.ID(small)}); err != nil || len(missing) != 0 {
		t.Errorf("after the flush the first upload's chunk is missing (%v, %v): its pack was not waited for", missing, err)
	}
	<-a.wb.slots // the other busy writer's
}

// waitUntil polls cond until it holds, failing the test once ctx ends.
func waitUntil(t *testing.T, ctx context.Context, cond func() bool) {
	t.Helper()
	for !cond() {
		if ctx.Err() != nil {
			t.Fatal("gave up waiting:", ctx.Err())
		}
		time.Sleep(time.Millisecond)
	}
}
