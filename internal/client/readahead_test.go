package client

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Files read ahead land in the order given, each with its own content,
// the large ones among them streamed in their turn; one that cannot be
// read ends the upload with an error that names it.
func TestPutLocalFiles(t *testing.T) {
	f := &fakeServer{params: smallParams}
	c := newFakeServer(t, f)
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 6))
	var files []LocalFile
	contents := map[string][]byte{}
	for i := range 400 {
		n := rng.IntN(5000)
		if i%97 == 0 {
			n = readAheadMax + 1 + rng.IntN(1<<20) // read in its turn
		}
		data := randomData(rng, n)
		name := filepath.Join(dir, fmt.Sprintf("f%03d", i))
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
		p := fmt.Sprintf("/in/%03d", 399-i) // not sorted: the order given counts
		files = append(files, LocalFile{Name: name, Path: p, Size: int64(n)})
		contents[p] = data
	}
	up, err := c.NewUpload(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := up.PutLocalFiles(files); err != nil {
		t.Fatal(err)
	}
	if _, err := up.Commit("r@master"); err != nil {
		t.Fatal(err)
	}
	if len(f.ops) != len(files) {
		t.Fatalf("server got %d operations, want %d", len(f.ops), len(files))
	}
	for i, op := range f.ops {
		var got bytes.Buffer
		for _, ref := range op.Refs {
			got.Write(f.chunks[ref.Chunk][ref.Offset : ref.Offset+ref.Length])
		}
		if op.Path != files[i].Path || !bytes.Equal(got.Bytes(), contents[op.Path]) || op.Hash != hashAlone(t, contents[op.Path]) {
			t.Errorf("operation %d is %s with %d bytes; want %s with its own content", i, op.Path, got.Len(), files[i].Path)
		}
	}

	gone := filepath.Join(dir, "gone")
	up, err = c.NewUpload(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	err = up.PutLocalFiles([]LocalFile{files[1], {Name: gone, Path: "/gone", Size: 10}, files[2]})
	if err == nil || !strings.Contains(err.Error(), gone) {
		t.Errorf("PutLocalFiles with a file gone = %v, want an error naming it", err)
	}
	up.Abort()
}
