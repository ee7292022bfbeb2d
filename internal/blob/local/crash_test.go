package local_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/blob/local"
	"github.com/tuskdata/tusk/internal/blob/local/localtest"
)

const root = "/data/store"

func openCrash(t *testing.T, fsys *localtest.CrashFS) *local.Store {
	t.Helper()
	s, err := local.OpenFS(fsys, root)
	if err != nil {
		t.Fatalf("OpenFS: %v", err)
	}
	return s
}

// isTempSync reports whether the operation syncs a temporary file.
func isTempSync(op localtest.Op, name string) bool {
	return op == localtest.OpSync && strings.Contains(name, "/.tmp-")
}

func TestCrashKeepsReturnedPut(t *testing.T) {
	ctx := context.Background()
	fsys := localtest.NewCrashFS()
	s := openCrash(t, fsys)
	want := []byte("durable")
	if err := s.Put(ctx, "chunks/ab/abc", want); err != nil {
		t.Fatal(err)
	}
	fsys.Crash()
	s = openCrash(t, fsys)
	got, err := s.Get(ctx, "chunks/ab/abc")
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Get after crash = %q, %v; want %q", got, err, want)
	}
	if diff := cmp.Diff([]string{"chunks/ab/abc"}, listKeys(t, s)); diff != "" {
		t.Errorf("List after crash (-want +got):\n%s", diff)
	}
}

func TestCrashBeforeFsyncLeavesNoHalfObject(t *testing.T) {
	ctx := context.Background()
	fsys := localtest.NewCrashFS()
	s := openCrash(t, fsys)
	if err := s.Put(ctx, "nodes/12/old", []byte("old")); err != nil {
		t.Fatal(err)
	}
	// The machine dies as the temporary files are about to be synced.
	fsys.FailIf(func(op localtest.Op, name string) bool {
		return isTempSync(op, name) || op == localtest.OpRemove
	})
	if err := s.Put(ctx, "nodes/12/new", []byte("new content")); !errors.Is(err, localtest.ErrInjected) {
		t.Fatalf("Put error = %v, want ErrInjected", err)
	}
	if err := s.Put(ctx, "nodes/12/old", []byte("replacement")); !errors.Is(err, localtest.ErrInjected) {
		t.Fatalf("Put error = %v, want ErrInjected", err)
	}
	fsys.Crash()

	s = openCrash(t, fsys)
	if _, err := s.Get(ctx, "nodes/12/new"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Get of the interrupted new key error = %v, want ErrNotFound", err)
	}
	if got, err := s.Get(ctx, "nodes/12/old"); err != nil || string(got) != "old" {
		t.Errorf("Get of the interrupted overwrite = %q, %v; want the old content", got, err)
	}
	if diff := cmp.Diff([]string{"nodes/12/old"}, listKeys(t, s)); diff != "" {
		t.Errorf("List after crash (-want +got):\n%s", diff)
	}
	if err := s.Put(ctx, "nodes/12/new", []byte("again")); err != nil {
		t.Errorf("Put after reopening: %v", err)
	}
}

// TestCrashAtEveryStep stops the machine at each operation of a Put in
// turn and checks that after the crash the key holds the old content or
// the new, whole, and the new if Put returned nil.
func TestCrashAtEveryStep(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		key  string
		old  []byte // nil: the key is absent before the Put
	}{
		{"NewKeyInNewDirectories", "chunks/ab/abcdef", nil},
		{"Overwrite", "nodes/12/1234", []byte("old content")},
	}
	newData := []byte("new content, longer than the old")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for step := 0; ; step++ {
				fsys := localtest.NewCrashFS()
				s := openCrash(t, fsys)
				if tt.old != nil {
					if err := s.Put(ctx, tt.key, tt.old); err != nil {
						t.Fatal(err)
					}
				}
				fsys.FailAfter(step)
				putErr := s.Put(ctx, tt.key, newData)
				fsys.Crash()

				s = openCrash(t, fsys)
				got, err := s.Get(ctx, tt.key)
				switch {
				case err == nil && bytes.Equal(got, newData):
				case putErr == nil:
					t.Fatalf("step %d: Put returned nil but after the crash Get = %q, %v", step, got, err)
				case err == nil && tt.old != nil && bytes.Equal(got, tt.old):
				case errors.Is(err, blob.ErrNotFound) && tt.old == nil:
				default:
					t.Fatalf("step %d: after the crash Get = %q, %v; want the old or the new content", step, got, err)
				}
				if _, err := s.CleanTemp(ctx, time.Now().Add(time.Minute)); err != nil {
					t.Fatalf("step %d: CleanTemp: %v", step, err)
				}
				if err := s.Put(ctx, "chunks/zz/after", []byte("x")); err != nil {
					t.Fatalf("step %d: Put after reopening: %v", step, err)
				}
				if putErr == nil {
					if step < 5 {
						t.Errorf("Put succeeded after only %d operations; is the fault injection working?", step)
					}
					return
				}
			}
		})
	}
}

func TestCrashLeftoverTempIgnoredAndCleaned(t *testing.T) {
	ctx := context.Background()
	fsys := localtest.NewCrashFS()
	s := openCrash(t, fsys)
	fsys.FailIf(func(op localtest.Op, name string) bool {
		return isTempSync(op, name) || op == localtest.OpRemove
	})
	if err := s.Put(ctx, "chunks/ab/lost", []byte("lost")); err == nil {
		t.Fatal("Put succeeded despite the injected fault")
	}
	fsys.FailIf(nil)
	// This Put syncs the directory, making the stranded temporary file's
	// entry durable, though not its content.
	if err := s.Put(ctx, "chunks/ab/kept", []byte("kept")); err != nil {
		t.Fatal(err)
	}
	fsys.Crash()

	s = openCrash(t, fsys)
	if diff := cmp.Diff([]string{"chunks/ab/kept"}, listKeys(t, s)); diff != "" {
		t.Errorf("List after crash (-want +got):\n%s", diff)
	}
	if n, err := s.CleanTemp(ctx, time.Now().Add(time.Minute)); err != nil || n != 1 {
		t.Errorf("CleanTemp = %d, %v; want 1, nil", n, err)
	}
	entries, err := fsys.ReadDir(root + "/chunks/ab")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"kept"}, names); diff != "" {
		t.Errorf("directory after CleanTemp (-want +got):\n%s", diff)
	}
}
