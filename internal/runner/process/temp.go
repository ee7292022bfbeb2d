package process

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// A worker's $TMPDIR is a fresh directory in the system's temporary
// directory, short enough that Unix sockets made in it (datum batching's)
// fit in a socket address. The worker and the user code it runs may leave
// files there; the runner removes the directory when the worker exits.
// A killed runner cannot, so it records each directory as a symbolic link
// <datum directory>.tmp, and RemoveLeftovers removes them at the next
// start.

// tempPrefix starts the names of the workers' temporary directories.
const tempPrefix = "tusk-worker-"

// tempDir makes the temporary directory of the worker whose datum
// directory is dir, and records it.
func tempDir(dir string) (string, error) {
	tmp, err := os.MkdirTemp("", tempPrefix)
	if err != nil {
		return "", fmt.Errorf("make the worker's temporary directory: %w", err)
	}
	// Like /tmp: user code may run as another user.
	err = os.Chmod(tmp, os.ModeSticky|0o777)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(dir), 0o755)
	}
	if err == nil {
		err = removeRecorded(dir + ".tmp") // left by a worker whose runner died
	}
	if err == nil {
		err = os.Symlink(tmp, dir+".tmp")
	}
	if err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("make the worker's temporary directory: %w", err)
	}
	return tmp, nil
}

// removeTempDir removes what tempDir made.
func removeTempDir(dir, tmp string) {
	os.RemoveAll(tmp)
	os.Remove(dir + ".tmp")
}

// RemoveLeftovers removes scratch, the parent of the datum directories,
// with the temporary directories its links record. Call it before any
// worker of scratch runs: it is for what the workers of a runner that
// died left behind.
func RemoveLeftovers(scratch string) error {
	entries, err := os.ReadDir(scratch)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove the files of dead workers: %w", err)
	}
	for _, e := range entries {
		if e.Type() == fs.ModeSymlink && strings.HasSuffix(e.Name(), ".tmp") {
			if err := removeRecorded(filepath.Join(scratch, e.Name())); err != nil {
				return fmt.Errorf("remove the files of dead workers: %w", err)
			}
		}
	}
	if err := os.RemoveAll(scratch); err != nil {
		return fmt.Errorf("remove the files of dead workers: %w", err)
	}
	return nil
}

// removeRecorded removes link and the temporary directory it records, if
// tempDir made it.
func removeRecorded(link string) error {
	tmp, err := os.Readlink(link)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if filepath.IsAbs(tmp) && strings.HasPrefix(filepath.Base(tmp), tempPrefix) {
		if err := os.RemoveAll(tmp); err != nil {
			return err
		}
	}
	return os.Remove(link)
}
