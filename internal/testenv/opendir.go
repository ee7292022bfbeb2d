package testenv

import (
	"os"
	"testing"
)

// OpenDir returns a new temporary directory with mode perm that every
// user may reach (t.TempDir's may not): for files that a test shares with
// the commands of its pipelines, which run as another user where the
// process runner runs as root. It is removed when t ends.
func OpenDir(t testing.TB, perm os.FileMode) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "tusk-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, perm); err != nil {
		t.Fatal(err)
	}
	return dir
}
