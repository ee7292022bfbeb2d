package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

// newInstallBinaryCommand is `tusk install-binary DIR`, which the init
// container of the kube runner's worker pods runs in Tusk's own image
// (FROM scratch, so it has no cp): it copies this static binary into an
// emptyDir, where the pipeline's image runs it as the worker.
func newInstallBinaryCommand() *cobra.Command {
	return &cobra.Command{
		Use:    "install-binary <dir>",
		Short:  "Copy this tusk binary to DIR/tusk (the kube runner's init container)",
		Hidden: true,
		Args:   exactArgs(1, "a directory"),
		RunE:   func(_ *cobra.Command, args []string) error { return installBinary(args[0]) },
	}
}

// installBinary copies the running executable to dir/tusk, executable by
// anyone, through a temporary file renamed into place, so that the file
// is whole or absent.
func installBinary(dir string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find this binary: %w", err)
	}
	src, err := os.Open(exe)
	if err != nil {
		return fmt.Errorf("open this binary: %w", err)
	}
	defer src.Close()
	tmp, err := os.CreateTemp(dir, ".tusk-*")
	if err != nil {
		return fmt.Errorf("install the binary: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, src); err != nil {
		tmp.Close()
		return fmt.Errorf("copy the binary to %s: %w", dir, err)
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return fmt.Errorf("install the binary: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("copy the binary to %s: %w", dir, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, "tusk")); err != nil {
		return fmt.Errorf("install the binary: %w", err)
	}
	return nil
}
