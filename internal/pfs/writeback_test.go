package pfs

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/chunk"
	"github.com/tuskdata/tusk/internal/tusk"
)

// syncRecorder is an object store that writes at once but records which
// chunks were written unsynced and which of those a Sync covered.
type syncRecorder struct {
	*blob.Memory
	mu       sync.Mutex
	unsynced []string
	synced   []string
}

func (s *syncRecorder) PutUnsynced(ctx context.Context, key string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unsynced = append(s.unsynced, key)
	return s.Memory.Put(ctx, key, data)
}

func (s *syncRecorder) Sync(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.synced = append(s.synced, s.unsynced...)
	s.unsynced = nil
	return nil
}

func (s *syncRecorder) chunks() (unsynced, synced []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keep := func(keys []string) []string {
		return slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return !strings.HasPrefix(k, "chunks/") })
	}
	return keep(s.unsynced), keep(s.synced)
}

func TestCommitSyncsTheChunksItRefersTo(t *testing.T) {
	ctx := context.Background()
	st := &syncRecorder{Memory: blob.NewMemory()}
	a := openTestAPI(t, st, filepath.Join(t.TempDir(), "meta.db"))
	if _, err := a.CreateRepo(ctx, "data", ""); err != nil {
		t.Fatal(err)
	}
	ops := upload(t, a, [][2]string{{"/a", "alpha"}, {"/b", strings.Repeat("beta", 1<<18)}}, false)
	unsynced, _ := st.chunks()
	if len(unsynced) == 0 {
		t.Fatal("the upload wrote no chunk unsynced")
	}
	// Not yet durable, so not yet known: another upload would send them.
	ids := make([]string, len(unsynced))
	for i, k := range unsynced {
		ids[i] = k[strings.LastIndex(k, "/")+1:]
	}
	if missing, err := a.MissingChunks(ctx, ids); err != nil || len(missing) != len(ids) {
		t.Errorf("MissingChunks before the commit = %v, %v; want all %d", missing, err, len(ids))
	}
	if _, err := a.ModifyFiles(ctx, mustRef(t, "data@master"), ops); err != nil {
		t.Fatal(err)
	}
	unsynced, synced := st.chunks()
	if len(unsynced) != 0 || len(synced) == 0 {
		t.Errorf("after the commit: %d chunks unsynced, %d synced; want 0 and all", len(unsynced), len(synced))
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
	st := &syncRecorder{Memory: blob.NewMemory()}
	a := openTestAPI(t, st, filepath.Join(t.TempDir(), "meta.db"))
	if _, err := a.CreateRepo(ctx, "data", ""); err != nil {
		t.Fatal(err)
	}
	put(t, a, "data@master", "/a", "some content")
	_, before := st.chunks()
	data := []byte("some content")
	if err := a.PutChunk(ctx, chunk.ID(data), chunk.Encode(data)); err != nil {
		t.Fatal(err)
	}
	unsynced, after := st.chunks()
	if len(unsynced) != 0 || len(after) != len(before) {
		t.Errorf("a chunk sent again was written again: %d unsynced, %d synced (was %d)", len(unsynced), len(after), len(before))
	}
}

// A chunk that MissingChunks leased may be written once without a lease
// of its own; once committed, sending it again must not write it again.
func TestLeasedChunkIsWrittenOnce(t *testing.T) {
	ctx := context.Background()
	st := &syncRecorder{Memory: blob.NewMemory()}
	a := openTestAPI(t, st, filepath.Join(t.TempDir(), "meta.db"))
	if _, err := a.CreateRepo(ctx, "data", ""); err != nil {
		t.Fatal(err)
	}
	data := []byte("leased content")
	id := chunk.ID(data)
	if missing, err := a.MissingChunks(ctx, []string{id}); err != nil || len(missing) != 1 {
		t.Fatalf("MissingChunks = %v, %v; want the chunk", missing, err)
	}
	if err := a.PutChunk(ctx, id, chunk.Encode(data)); err != nil {
		t.Fatal(err)
	}
	if unsynced, _ := st.chunks(); len(unsynced) != 1 {
		t.Fatalf("the leased chunk was written %d times, want once", len(unsynced))
	}
	ops := []tusk.FileOp{{Op: tusk.OpPut, Path: "/f", Size: int64(len(data)), Hash: id,
		Refs: []tusk.DataRef{{Chunk: id, Length: int64(len(data))}}}}
	if _, err := a.ModifyFiles(ctx, mustRef(t, "data@master"), ops); err != nil {
		t.Fatal(err)
	}
	_, before := st.chunks()
	if err := a.PutChunk(ctx, id, chunk.Encode(data)); err != nil {
		t.Fatal(err)
	}
	unsynced, after := st.chunks()
	if len(unsynced) != 0 || len(after) != len(before) {
		t.Errorf("a committed chunk sent again was written again: %d unsynced, %d synced (was %d)", len(unsynced), len(after), len(before))
	}
	if got := read(t, a, "data@master:/f"); got != string(data) {
		t.Errorf("read /f = %q", got)
	}
}

// Two uploads of the same new chunk: the second asks about it after the
// first sent it but before the first commits, and sends it after. The chunk, durable and committed by
// then, must not be written over with an unsynced copy.
func TestChunkCommittedMeanwhileIsNotWrittenOver(t *testing.T) {
	ctx := context.Background()
	st := &syncRecorder{Memory: blob.NewMemory()}
	a := openTestAPI(t, st, filepath.Join(t.TempDir(), "meta.db"))
	if _, err := a.CreateRepo(ctx, "data", ""); err != nil {
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
	if unsynced, _ := st.chunks(); len(unsynced) != 0 {
		t.Errorf("the second upload wrote the committed chunk over, unsynced (%d writes)", len(unsynced))
	}
}
