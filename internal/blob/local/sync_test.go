package local_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/blob/local/localtest"
)

func TestSyncMakesUnsyncedPutsDurable(t *testing.T) {
	ctx := context.Background()
	fsys := localtest.NewCrashFS()
	s := openCrash(t, fsys)
	want := map[string][]byte{}
	for i := range 40 {
		key := fmt.Sprintf("chunks/%02x/k%d", i%7, i)
		want[key] = fmt.Appendf(nil, "content %d", i)
		if err := s.PutUnsynced(ctx, key, want[key]); err != nil {
			t.Fatal(err)
		}
	}
	for key, data := range want {
		if got, err := s.Get(ctx, key); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("Get %s before Sync = %q, %v; want %q", key, got, err, data)
		}
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	fsys.Crash()
	s = openCrash(t, fsys)
	for key, data := range want {
		if got, err := s.Get(ctx, key); err != nil || !bytes.Equal(got, data) {
			t.Errorf("Get %s after Sync and a crash = %q, %v; want %q", key, got, err, data)
		}
	}
}

func TestCrashBeforeSyncLosesUnsyncedPut(t *testing.T) {
	ctx := context.Background()
	fsys := localtest.NewCrashFS()
	s := openCrash(t, fsys)
	if err := s.Put(ctx, "chunks/ab/kept", []byte("kept")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutUnsynced(ctx, "chunks/cd/lost", []byte("lost")); err != nil {
		t.Fatal(err)
	}
	fsys.Crash()
	s = openCrash(t, fsys)
	if _, err := s.Get(ctx, "chunks/cd/lost"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Get of an unsynced object after a crash: error = %v, want ErrNotFound on this file system", err)
	}
	if got, err := s.Get(ctx, "chunks/ab/kept"); err != nil || string(got) != "kept" {
		t.Errorf("Get of a synced object after a crash = %q, %v", got, err)
	}
}

func TestSyncSkipsDeletedObjects(t *testing.T) {
	ctx := context.Background()
	s := openCrash(t, localtest.NewCrashFS())
	if err := s.PutUnsynced(ctx, "chunks/ab/gone", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "chunks/ab/gone"); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(ctx); err != nil {
		t.Errorf("Sync after the object was deleted: %v", err)
	}
}

func TestSyncReportsFailure(t *testing.T) {
	ctx := context.Background()
	fsys := localtest.NewCrashFS()
	s := openCrash(t, fsys)
	if err := s.PutUnsynced(ctx, "chunks/ab/bad", []byte("x")); err != nil {
		t.Fatal(err)
	}
	fsys.FailIf(func(op localtest.Op, name string) bool { return op == localtest.OpSync })
	if err := s.Sync(ctx); !errors.Is(err, localtest.ErrInjected) {
		t.Fatalf("Sync error = %v, want ErrInjected", err)
	}
	fsys.FailIf(nil)
	if err := s.Sync(ctx); err != nil {
		t.Errorf("Sync with nothing left to sync: %v", err)
	}
}
