package server

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/tuskdata/tusk/internal/runner/process"
)

// startRunner opens the Unix socket workers talk to and picks the runner.
func (s *Server) startRunner(ctx context.Context) error {
	dir := s.cfg.DataDir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "tusk-"); err != nil {
			return err
		}
	}
	sock := filepath.Join(dir, "tusk.sock")
	os.Remove(sock)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return fmt.Errorf("listen for workers on %s: %w", sock, err)
	}
	s.socket = ln
	exe := s.cfg.WorkerBinary
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return fmt.Errorf("find the tusk binary for workers: %w", err)
		}
	}
	scratch := filepath.Join(dir, "workers")
	switch s.cfg.Runner {
	case "", "auto", "process":
		s.runner = process.New(exe, "unix://"+sock, scratch, s.log)
	default:
		return fmt.Errorf("unknown runner %q: want auto, docker or process", s.cfg.Runner)
	}
	return nil
}
