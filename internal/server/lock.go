package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/tuskdata/tusk/internal/tusk"
)

// lockName is the file in a data directory that its server holds an
// exclusive flock on while it runs. The kernel releases the lock when the
// process dies, however it dies, so a stale file never blocks a restart;
// the file stays, holding the process ID of the last server.
const lockName = "tusk.lock"

// lockDir takes the lock of dir, which must exist, or says which process
// holds it. Closing the returned file releases the lock.
func lockDir(dir, listen string) (*os.File, error) {
	path := filepath.Join(dir, lockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, inUse(dir, path, string(holder))
		}
		return nil, fmt.Errorf("lock data directory %s: %w", path, err)
	}
	owner := fmt.Sprintf("%d %s\n", os.Getpid(), listen)
	err = f.Truncate(0)
	if err == nil {
		_, err = f.WriteAt([]byte(owner), 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock data directory: write %s: %w", path, err)
	}
	return f, nil
}

// inUse is the error for a data directory whose lock another process
// holds; holder is the lock file's content: the holder's process ID and
// listen address.
func inUse(dir, path, holder string) error {
	who := "another process"
	if pid, listen, _ := strings.Cut(strings.TrimSpace(holder), " "); pid != "" {
		if _, err := strconv.Atoi(pid); err == nil {
			who = "process " + pid
			if listen != "" {
				who += " (tusk up --listen " + listen + ")"
			}
		}
	}
	return tusk.Errorf(tusk.KindConflict, "data directory %s is in use by %s, which holds the lock on %s", dir, who, path).
		WithHint("stop that server first, or give this one another --data-dir")
}
