package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/tuskdata/tusk/internal/runner"
	"github.com/tuskdata/tusk/internal/runner/docker"
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
		s.tempDir = dir
	}
	// A socket or worker directories left in the data directory are a
	// dead server's (its workers died with it): this one holds the
	// directory's lock.
	sock, scratch := filepath.Join(dir, "tusk.sock"), filepath.Join(dir, "workers")
	if err := os.Remove(sock); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove the stale worker socket: %w", err)
	}
	if err := process.RemoveLeftovers(scratch); err != nil {
		return err
	}
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
	newProcess := func() runner.Runner { return process.New(exe, "unix://"+sock, scratch, s.log) }
	switch s.cfg.Runner {
	case "", "process":
		s.runner = newProcess()
	case "docker":
		r, err := s.dockerRunner(ctx, exe, sock, dir)
		if err != nil {
			return err
		}
		s.runner = r
	case "auto":
		if err := docker.Ping(ctx, ""); err != nil {
			s.log.Info("no Docker engine answers", "err", err)
			s.runner = newProcess()
		} else if r, err := s.dockerRunner(ctx, exe, sock, dir); err != nil {
			s.log.Warn("a Docker engine answers, but the docker runner cannot start", "err", err)
			s.runner = newProcess()
		} else {
			s.runner = r
		}
	default:
		return fmt.Errorf("unknown runner %q: want auto, docker or process", s.cfg.Runner)
	}
	s.log.Info("pipeline workers run with the "+s.runner.Name()+" runner", "runner", s.runner.Name())
	return nil
}

// dockerRunner starts the docker runner. The worker socket is opened to
// every user, because containers may run as any transform.user; it serves
// the same API as the TCP listener.
func (s *Server) dockerRunner(ctx context.Context, exe, sock, dir string) (*docker.Runner, error) {
	if err := os.Chmod(sock, 0o666); err != nil {
		return nil, fmt.Errorf("open the worker socket to container users: %w", err)
	}
	id, err := instanceID(dir)
	if err != nil {
		return nil, err
	}
	return docker.New(ctx, docker.Options{Binary: exe, Socket: sock, Instance: id, NoNetwork: s.cfg.NoWorkerNetwork, Logger: s.log})
}

// instanceID returns the ID of the server instance that owns dir, made up
// on first use and kept in dir/instance.
func instanceID(dir string) (string, error) {
	path := filepath.Join(dir, "instance")
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read the instance ID: %w", err)
	}
	raw := make([]byte, 8)
	rand.Read(raw)
	id := hex.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(id+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("write the instance ID: %w", err)
	}
	return id, nil
}
