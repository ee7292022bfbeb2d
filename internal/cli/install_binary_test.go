package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestInstallBinary(t *testing.T) {
	dir := t.TempDir()
	if err := installBinary(dir); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "tusk")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s holds %d bytes that differ from this binary's %d", path, len(got), len(want))
	}
	if fi, err := os.Stat(path); err != nil {
		t.Error(err)
	} else if fi.Mode().Perm() != 0o755 {
		t.Errorf("%s: mode %v, want 0755", path, fi.Mode())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".tusk-*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	if err := installBinary(filepath.Join(dir, "missing")); err == nil {
		t.Error("install into a missing directory succeeded")
	}
}
