package fileset

import (
	"context"
	"sync/atomic"
	"testing"
)

// countingStore counts the nodes read from it.
type countingStore struct {
	NodeStore
	reads atomic.Int64
}

func (s *countingStore) GetNode(ctx context.Context, id string) ([]byte, error) {
	s.reads.Add(1)
	return s.NodeStore.GetNode(ctx, id)
}

func TestCachedStoreReadsEachNodeOnce(t *testing.T) {
	withBoundaryBits(t, 2)
	ms := &MemStore{}
	files := seqFiles(500)
	root := build(t, ms, files)
	cs := &countingStore{NodeStore: ms}
	st := Cached(cs, NewNodeCache(64<<20))
	want := list(t, st, root)
	first := cs.reads.Load()
	if first == 0 || len(want) != len(files) {
		t.Fatalf("the first walk read %d nodes and found %d files", first, len(want))
	}
	got := list(t, st, root)
	if n := cs.reads.Load() - first; n != 0 {
		t.Errorf("the second walk read %d nodes; want all from the cache", n)
	}
	if len(got) != len(want) {
		t.Errorf("the second walk found %d files, want %d", len(got), len(want))
	}
	for _, p := range []string{files[0].Path, files[250].Path, files[499].Path} {
		if _, ok, err := Get(context.Background(), st, root, p); !ok || err != nil {
			t.Errorf("Get(%s) through the cache = %v, %v", p, ok, err)
		}
	}
	if n := cs.reads.Load() - first; n != 0 {
		t.Errorf("lookups read %d nodes; want all from the cache", n)
	}
}

func TestCachedStoreStillChecksWhatItReads(t *testing.T) {
	ms := &MemStore{}
	root := build(t, ms, seqFiles(10))
	bad := &corruptingStore{NodeStore: ms}
	st := Cached(bad, NewNodeCache(64<<20))
	if _, _, err := Get(context.Background(), st, root, seqFiles(1)[0].Path); err == nil {
		t.Fatal("a corrupt node read through the cache was accepted")
	}
	bad.off = true
	if _, ok, err := Get(context.Background(), st, root, seqFiles(1)[0].Path); !ok || err != nil {
		t.Errorf("after the store healed: Get = %v, %v; the corrupt node must not have been cached", ok, err)
	}
}

// corruptingStore flips a byte of every node it returns, until off.
type corruptingStore struct {
	NodeStore
	off bool
}

func (s *corruptingStore) GetNode(ctx context.Context, id string) ([]byte, error) {
	b, err := s.NodeStore.GetNode(ctx, id)
	if err != nil || s.off {
		return b, err
	}
	b = append([]byte(nil), b...)
	b[len(b)/2] ^= 1
	return b, nil
}
