package process

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTempDirIsRecordedAndRemoved(t *testing.T) {
	sys := t.TempDir()
	t.Setenv("TMPDIR", sys)
	dir := filepath.Join(t.TempDir(), "workers", "p-v1-0")
	tmp, err := tempDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(tmp) != sys || !strings.HasPrefix(filepath.Base(tmp), tempPrefix) {
		t.Errorf("tempDir = %q, want a %s* directory in $TMPDIR %s", tmp, tempPrefix, sys)
	}
	if fi, err := os.Stat(tmp); err != nil || fi.Mode()&os.ModeSticky == 0 || fi.Mode().Perm() != 0o777 {
		t.Errorf("Stat(%s) = %v, %v; want a sticky directory anyone can write to, like /tmp", tmp, fi.Mode(), err)
	}
	if got, err := os.Readlink(dir + ".tmp"); err != nil || got != tmp {
		t.Errorf("Readlink(%s.tmp) = %q, %v; want %q", dir, got, err, tmp)
	}
	removeTempDir(dir, tmp)
	for _, path := range []string{tmp, dir + ".tmp"} {
		if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Lstat(%s) after removeTempDir = %v, want it gone", path, err)
		}
	}
}

func TestRemoveLeftovers(t *testing.T) {
	sys := t.TempDir()
	t.Setenv("TMPDIR", sys)
	scratch := filepath.Join(t.TempDir(), "workers")
	var tmps []string
	for _, id := range []string{"a-v1-0", "b-v2-1"} {
		tmp, err := tempDir(filepath.Join(scratch, id))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, "left-by-user-code"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		tmps = append(tmps, tmp)
	}
	// A link to something tempDir did not make is not followed.
	other := filepath.Join(t.TempDir(), "precious")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(other, filepath.Join(scratch, "c-v1-0.tmp")); err != nil {
		t.Fatal(err)
	}
	if err := RemoveLeftovers(scratch); err != nil {
		t.Fatal(err)
	}
	for _, path := range append(tmps, scratch) {
		if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Lstat(%s) after RemoveLeftovers = %v, want it gone", path, err)
		}
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("RemoveLeftovers followed a link to a directory it did not make: %v", err)
	}
	if err := RemoveLeftovers(scratch); err != nil {
		t.Errorf("RemoveLeftovers without a scratch directory: %v", err)
	}
}
