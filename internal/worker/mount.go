package worker

import (
	"fmt"
	"os"
	"syscall"
)

// MountPFS bind-mounts dir at /pfs. It needs root and a private mount
// namespace (the process runner starts workers in one), so that the mount
// is this worker's alone.
func MountPFS(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	if err := os.MkdirAll("/pfs", 0o755); err != nil {
		return err
	}
	if err := syscall.Mount(dir, "/pfs", "", syscall.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind %s at /pfs: %w", dir, err)
	}
	return nil
}
