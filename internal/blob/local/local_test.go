package local_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/blob/blobtest"
	"github.com/tuskdata/tusk/internal/blob/local"
	"github.com/tuskdata/tusk/internal/blob/local/localtest"
)

func TestConformanceOS(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, err := local.Open(filepath.Join(t.TempDir(), "store"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestConformanceCrashFS(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, err := local.OpenFS(localtest.NewCrashFS(), "/store")
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestTempFilesIgnoredAndCleaned(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s, err := local.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "chunks/ab/abc", []byte("x")); err != nil {
		t.Fatal(err)
	}
	leftover := filepath.Join(root, "chunks", "ab", ".tmp-LEFTOVER")
	if err := os.WriteFile(leftover, []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"chunks/ab/abc"}, listKeys(t, s)); diff != "" {
		t.Errorf("List with a leftover temporary file (-want +got):\n%s", diff)
	}
	n, err := s.CleanTemp(ctx, time.Now().Add(time.Minute))
	if err != nil || n != 1 {
		t.Errorf("CleanTemp = %d, %v; want 1, nil", n, err)
	}
	if _, err := os.Stat(leftover); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("leftover temporary file still there: %v", err)
	}
	if _, err := s.Get(ctx, "chunks/ab/abc"); err != nil {
		t.Errorf("CleanTemp removed an object: %v", err)
	}
}

func TestCleanTempKeepsRecentFiles(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s, err := local.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	old, recent := filepath.Join(root, ".tmp-OLD"), filepath.Join(root, ".tmp-RECENT")
	for _, name := range []string{old, recent} {
		if err := os.WriteFile(name, []byte("half"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	hourAgo := time.Now().Add(-time.Hour)
	if err := os.Chtimes(old, hourAgo, hourAgo); err != nil {
		t.Fatal(err)
	}
	n, err := s.CleanTemp(ctx, time.Now().Add(-time.Minute))
	if err != nil || n != 1 {
		t.Errorf("CleanTemp = %d, %v; want 1, nil", n, err)
	}
	if _, err := os.Stat(old); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the hour-old temporary file is still there: %v", err)
	}
	if _, err := os.Stat(recent); err != nil {
		t.Errorf("CleanTemp removed a temporary file a Put may be writing: %v", err)
	}
}

func TestKeyThatIsADirectory(t *testing.T) {
	ctx := context.Background()
	s, err := local.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "a/b", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "a", []byte("y")); err == nil {
		t.Error("Put(a) over the directory of a/b succeeded, want an error")
	}
	if err := s.Put(ctx, "a/b/c", []byte("z")); err == nil {
		t.Error("Put(a/b/c) under the object a/b succeeded, want an error")
	}
	if _, err := s.Get(ctx, "a/b/c"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Get(a/b/c) error = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "a"); err != nil {
		t.Errorf("Delete(a), a directory: %v", err)
	}
	if diff := cmp.Diff([]string{"a/b"}, listKeys(t, s)); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
}

func listKeys(t *testing.T, s blob.Store) []string {
	t.Helper()
	var keys []string
	err := s.List(context.Background(), "", func(info blob.Info) error {
		keys = append(keys, info.Key)
		return nil
	})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return keys
}
