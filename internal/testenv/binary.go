package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BuildBinary builds the static tusk binary (CGO_ENABLED=0, so that it
// also runs in a scratch container) into a new temporary directory that
// every user may read; cleanup removes the directory.
func BuildBinary() (path string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "tusk-test-bin-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	// Commands that run as another user (the process runner's, as root)
	// run it too, as `tusk next datum`.
	if err := os.Chmod(dir, 0o755); err != nil {
		cleanup()
		return "", nil, err
	}
	path = filepath.Join(dir, "tusk")
	build := exec.Command("go", "build", "-o", path, "github.com/tuskdata/tusk/cmd/tusk")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("build tusk: %v\n%s", err, out)
	}
	return path, cleanup, nil
}

// RunWithBinary is a TestMain's work for tests that need the tusk binary:
// it builds it, sets *binary to its path, runs the tests and removes the
// binary. It returns the exit code for os.Exit, 1 when the build fails.
func RunWithBinary(m *testing.M, binary *string) int {
	path, cleanup, err := BuildBinary()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cleanup()
	*binary = path
	return m.Run()
}
