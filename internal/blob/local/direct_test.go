package local

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// Objects large enough for direct I/O read back whole, whatever their
// length and the alignment of the data they were written from.
func TestDirectWritesReadBack(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{directMin, directMin + 1, 1<<20 + 4095, 3<<20 + 1, 4 << 20} {
		for _, offset := range []int{0, 1} {
			buf := make([]byte, n+offset)
			for i := range buf {
				buf[i] = byte(rng.Uint32())
			}
			data := buf[offset:]
			key := fmt.Sprintf("chunks/%d-%d", n, offset)
			if err := s.PutUnsynced(ctx, key, data); err != nil {
				t.Fatal(err)
			}
			if err := s.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			got, err := s.Get(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Errorf("%d bytes written from offset %d: read back %d bytes that differ", n, offset, len(got))
			}
		}
	}
	if s.noDirect.Load() {
		t.Logf("the file system of %s does not do direct I/O: written through the page cache", t.TempDir())
	}
}

// noDirectFS is the OS file system as one that refuses direct I/O.
type noDirectFS struct {
	OS
	calls int
}

func (f *noDirectFS) WriteDirect(string, []byte) error {
	f.calls++
	return errNoDirect
}

// A file system that refuses direct I/O gets the object through the page
// cache, and is not asked again.
func TestNoDirectFallsBack(t *testing.T) {
	ctx := context.Background()
	fsys := &noDirectFS{}
	s, err := OpenFS(fsys, filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("tusk"), directMin)
	for _, key := range []string{"chunks/a", "chunks/b"} {
		if err := s.PutUnsynced(ctx, key, data); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Get(ctx, key); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("Get %s = %d bytes, %v; want the %d written", key, len(got), err, len(data))
		}
	}
	if fsys.calls != 1 {
		t.Errorf("WriteDirect called %d times, want once", fsys.calls)
	}
}
