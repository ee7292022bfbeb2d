package blobtest

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tuskdata/tusk/internal/blob"
)

func testRoundTrip(t *testing.T, s blob.Store, size int) {
	ctx := context.Background()
	key := "chunks/ab/abcdef"
	want := pattern(size, 7)
	put(t, s, key, want)
	if got := get(t, s, key); !bytes.Equal(got, want) {
		t.Errorf("Get returned %d bytes, want the %d put", len(got), len(want))
	}
	info, err := s.Stat(ctx, key)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if info.Key != key || info.Size != int64(size) || info.ModTime.IsZero() {
		t.Errorf("Stat = %+v, want key %q, size %d and a modification time", info, key, size)
	}
}

func testGetRange(t *testing.T, s blob.Store) {
	ctx := context.Background()
	key := "packs/ab/abcdef"
	data := pattern(1<<20, 3)
	put(t, s, key, data)
	for _, r := range []struct{ off, n int64 }{{0, 1}, {0, 1 << 20}, {12345, 1000}, {1<<20 - 1, 1}, {500, 0}, {1 << 20, 0}} {
		got, err := s.GetRange(ctx, key, r.off, r.n)
		if err != nil {
			t.Errorf("GetRange(%d, %d): %v", r.off, r.n, err)
			continue
		}
		if !bytes.Equal(got, data[r.off:r.off+r.n]) {
			t.Errorf("GetRange(%d, %d) returned %d bytes that differ from the object's", r.off, r.n, len(got))
		}
	}
	for _, r := range []struct{ off, n int64 }{{1<<20 - 10, 11}, {1 << 20, 1}, {2 << 20, 5}, {-1, 4}, {0, -1}} {
		if _, err := s.GetRange(ctx, key, r.off, r.n); !errors.Is(err, blob.ErrRange) {
			t.Errorf("GetRange(%d, %d) of a %d-byte object: %v, want ErrRange", r.off, r.n, len(data), err)
		}
	}
	if _, err := s.GetRange(ctx, "packs/ab/absent", 0, 1); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("GetRange of a missing key: %v, want ErrNotFound", err)
	}
}

func testOverwrite(t *testing.T, s blob.Store) {
	key := "nodes/12/1234"
	put(t, s, key, pattern(100, 1))
	want := pattern(10, 2)
	put(t, s, key, want)
	if got := get(t, s, key); !bytes.Equal(got, want) {
		t.Errorf("Get after overwrite = %v, want %v", got, want)
	}
	if diff := cmp.Diff([]string{key}, list(t, s, "")); diff != "" {
		t.Errorf("List after overwrite (-want +got):\n%s", diff)
	}
}

// testIsolation checks that the store keeps no reference to the caller's
// slices.
func testIsolation(t *testing.T, s blob.Store) {
	key := "chunks/00/0001"
	data := pattern(16, 3)
	want := bytes.Clone(data)
	put(t, s, key, data)
	data[0] ^= 0xff
	got := get(t, s, key)
	got[1] ^= 0xff
	if got := get(t, s, key); !bytes.Equal(got, want) {
		t.Errorf("Get = %v after the caller changed its slices, want %v", got, want)
	}
}

func testMissingKey(t *testing.T, s blob.Store) {
	ctx := context.Background()
	put(t, s, "chunks/ab/present", []byte("x"))
	for _, key := range []string{"chunks/ab/absent", "chunks/ab", "chunks/cd/absent"} {
		if _, err := s.Get(ctx, key); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Get(%q) error = %v, want ErrNotFound", key, err)
		}
		if _, err := s.Stat(ctx, key); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Stat(%q) error = %v, want ErrNotFound", key, err)
		}
	}
}

func testInvalidKey(t *testing.T, s blob.Store) {
	ctx := context.Background()
	for _, key := range []string{"", "/abs", "../up", "a/../b", "a//b", "a/", "Upper", "a b", ".hidden"} {
		if err := s.Put(ctx, key, []byte("x")); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Put(%q) error = %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.Get(ctx, key); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Get(%q) error = %v, want ErrInvalidKey", key, err)
		}
	}
	err := s.List(ctx, "../", func(blob.Info) error { return nil })
	if !errors.Is(err, blob.ErrInvalidKey) {
		t.Errorf("List(\"../\") error = %v, want ErrInvalidKey", err)
	}
	if keys := list(t, s, ""); len(keys) != 0 {
		t.Errorf("List after rejected Puts = %q, want nothing", keys)
	}
}

func testDeleteIdempotent(t *testing.T, s blob.Store) {
	ctx := context.Background()
	key := "chunks/de/dead"
	put(t, s, key, []byte("beef"))
	for i := range 2 {
		if err := s.Delete(ctx, key); err != nil {
			t.Fatalf("Delete #%d: %v", i+1, err)
		}
	}
	if _, err := s.Get(ctx, key); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Get after Delete error = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "chunks/ne/never"); err != nil {
		t.Errorf("Delete of a key never put: %v", err)
	}
}

// testConcurrentPutSameKey has writers race to put identical data under one
// key while readers check that they never see a partial object.
func testConcurrentPutSameKey(t *testing.T, s blob.Store) {
	ctx := context.Background()
	key := "chunks/cc/concurrent"
	want := pattern(256<<10, 9)
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, 2*workers)
	for range workers {
		wg.Go(func() { errs <- s.Put(ctx, key, want) })
		wg.Go(func() {
			got, err := s.Get(ctx, key)
			switch {
			case errors.Is(err, blob.ErrNotFound):
			case err != nil:
				errs <- err
			case !bytes.Equal(got, want):
				t.Errorf("concurrent Get returned %d bytes that differ from the %d put", len(got), len(want))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Put or Get: %v", err)
		}
	}
	if got := get(t, s, key); !bytes.Equal(got, want) {
		t.Errorf("Get after concurrent Puts returned %d bytes that differ from the %d put", len(got), len(want))
	}
	if diff := cmp.Diff([]string{key}, list(t, s, "")); diff != "" {
		t.Errorf("List after concurrent Puts (-want +got):\n%s", diff)
	}
}

func testContextCanceled(t *testing.T, s blob.Store) {
	key := "chunks/ca/canceled"
	put(t, s, "chunks/ca/present", []byte("x"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Put(ctx, key, []byte("x")); !errors.Is(err, context.Canceled) {
		t.Errorf("Put error = %v, want context.Canceled", err)
	}
	if _, err := s.Get(ctx, "chunks/ca/present"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get error = %v, want context.Canceled", err)
	}
	if _, err := s.Stat(ctx, "chunks/ca/present"); !errors.Is(err, context.Canceled) {
		t.Errorf("Stat error = %v, want context.Canceled", err)
	}
	if err := s.Delete(ctx, "chunks/ca/present"); !errors.Is(err, context.Canceled) {
		t.Errorf("Delete error = %v, want context.Canceled", err)
	}
	err := s.List(ctx, "", func(blob.Info) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("List error = %v, want context.Canceled", err)
	}
	if diff := cmp.Diff([]string{"chunks/ca/present"}, list(t, s, "")); diff != "" {
		t.Errorf("canceled calls changed the store (-want +got):\n%s", diff)
	}
}
