package pfs

import (
	"context"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/chunk"
	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

func newTestAPI(t *testing.T) *API {
	t.Helper()
	return openTestAPI(t, blob.NewMemory(), filepath.Join(t.TempDir(), "meta.db"))
}

func openTestAPI(t *testing.T, objects Objects, dsn string) *API {
	t.Helper()
	ctx := context.Background()
	db, err := meta.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	a, err := Open(ctx, db, objects, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// upload stores contents as chunks the way a client does and returns the
// put operations for them, in the order of paths given.
func upload(t *testing.T, a *API, files [][2]string, appendTo bool) []tusk.FileOp {
	t.Helper()
	ops, err := tryUpload(a, files, appendTo)
	if err != nil {
		t.Fatal(err)
	}
	return ops
}

// uploadLenient uploads what it can: with injected faults some chunks may
// be missing, which the modification must then refuse.
func uploadLenient(a *API, files [][2]string) []tusk.FileOp {
	ops, _ := tryUpload(a, files, false)
	return ops
}

func tryUpload(a *API, files [][2]string, appendTo bool) ([]tusk.FileOp, error) {
	ctx := context.Background()
	ops := make([]tusk.FileOp, len(files))
	pk, err := chunk.NewPacker(a.ChunkParams(), func(c chunk.Chunk) error {
		missing, err := a.MissingChunks(ctx, []string{c.ID})
		if err != nil || len(missing) == 0 {
			return err
		}
		return a.PutChunk(ctx, c.ID, chunk.Encode(c.Data))
	})
	if err != nil {
		return nil, err
	}
	for i, f := range files {
		ops[i] = tusk.FileOp{Op: tusk.OpPut, Path: f[0], Append: appendTo}
		err := pk.Add(strings.NewReader(f[1]), func(r chunk.File) {
			ops[i].Size, ops[i].Hash = r.Size, r.Hash
			for _, ref := range r.Refs {
				ops[i].Refs = append(ops[i].Refs, tusk.DataRef{Chunk: ref.Chunk, Offset: ref.Offset, Length: ref.Length})
			}
		})
		if err != nil {
			pk.Close()
			return ops, err
		}
	}
	return ops, pk.Close()
}

func mustRef(t *testing.T, s string) tusk.Ref {
	t.Helper()
	r, err := tusk.ParseRef(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// put writes files (path, content pairs) to ref as one modification.
func put(t *testing.T, a *API, ref string, files ...string) tusk.Commit {
	t.Helper()
	var pairs [][2]string
	for i := 0; i+1 < len(files); i += 2 {
		pairs = append(pairs, [2]string{files[i], files[i+1]})
	}
	c, err := a.ModifyFiles(context.Background(), mustRef(t, ref), upload(t, a, pairs, false))
	if err != nil {
		t.Fatalf("put %s: %v", ref, err)
	}
	return c
}

func read(t *testing.T, a *API, ref string) string {
	t.Helper()
	r, _, err := a.OpenFile(context.Background(), mustRef(t, ref), 0)
	if err != nil {
		t.Fatalf("read %s: %v", ref, err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", ref, err)
	}
	return string(b)
}

// tree returns every path=content of a commit, sorted.
func tree(t *testing.T, a *API, ref string) []string {
	t.Helper()
	var out []string
	r := mustRef(t, ref)
	err := a.WalkFiles(context.Background(), r, func(f fileset.File) error {
		b, err := io.ReadAll(a.Content(context.Background(), f, 0))
		out = append(out, f.Path+"="+string(b))
		return err
	})
	if err != nil && tusk.KindOf(err) != tusk.KindNotFound {
		t.Fatalf("walk %s: %v", ref, err)
	}
	sort.Strings(out)
	return out
}
