package server

import (
	"cmp"
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
	"syscall"

	"github.com/tuskdata/tusk/internal/runner"
	"github.com/tuskdata/tusk/internal/runner/docker"
	"github.com/tuskdata/tusk/internal/runner/external"
	"github.com/tuskdata/tusk/internal/runner/process"
	"github.com/tuskdata/tusk/internal/tusk"
	"github.com/tuskdata/tusk/internal/worker"
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
	runAs, group, err := s.workerAccess(sock)
	if err != nil {
		return err
	}
	exe := s.cfg.WorkerBinary
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return fmt.Errorf("find the tusk binary for workers: %w", err)
		}
	}
	newProcess := func() runner.Runner {
		return process.New(exe, "unix://"+sock, workerCredentials{s.auth}, scratch, runAs, s.log)
	}
	switch s.cfg.Runner {
	case "", "process":
		s.runner = newProcess()
	case "docker":
		r, err := s.dockerRunner(ctx, exe, sock, group, dir)
		if err != nil {
			return err
		}
		s.runner = r
	case "external":
		s.runner = external.New(s.log)
	case "kube":
		r, err := s.kubeRunner(ctx)
		if err != nil {
			return err
		}
		s.runner = r
	case "auto":
		if err := docker.Ping(ctx, ""); err != nil {
			s.log.Info("no Docker engine answers", "err", err)
			s.runner = newProcess()
		} else if r, err := s.dockerRunner(ctx, exe, sock, group, dir); err != nil {
			s.log.Warn("a Docker engine answers, but the docker runner cannot start", "err", err)
			s.runner = newProcess()
		} else {
			s.runner = r
		}
	default:
		return fmt.Errorf("unknown runner %q: want auto, docker, process, kube or external", s.cfg.Runner)
	}
	s.log.Info("pipeline workers run with the "+s.runner.Name()+" runner", "runner", s.runner.Name())
	return nil
}

// DefaultWorkerUser is who user code runs as on the process runner when
// tusk up runs as root and transform.user does not say: nobody.
const DefaultWorkerUser = "65534:65534"

// workerAccess decides who runs pipelines' code on the process runner and
// who may use the worker socket (sock), which serves the whole API. The
// socket is the server's, mode 0660, and its group is the one workers
// get: as root, the group of the worker user (Config.WorkerUser), which
// process runner commands run as (transform.user's get it as a
// supplementary group) and which every container gets as a supplementary
// group, whatever its user; otherwise the server's own group, as the
// process runner's commands run as the server's user. It returns the
// process runner's user (nil: the server's own) and the socket's group.
func (s *Server) workerAccess(sock string) (*syscall.Credential, int, error) {
	var runAs *syscall.Credential
	group := os.Getegid()
	if os.Geteuid() == 0 {
		spec := cmp.Or(s.cfg.WorkerUser, DefaultWorkerUser)
		uid, gid, err := worker.LookupUser(spec)
		if err != nil {
			return nil, 0, fmt.Errorf("worker user: %w", err)
		}
		if uid == 0 {
			return nil, 0, tusk.Errorf(tusk.KindInvalid, "worker user %q is root: user code never runs as root on the host", spec).
				WithHint("give --worker-user an unprivileged user, such as a system user made for tusk's workers")
		}
		runAs, group = &syscall.Credential{Uid: uid, Gid: gid, Groups: []uint32{gid}}, int(gid)
	} else if s.cfg.WorkerUser != "" {
		return nil, 0, tusk.Errorf(tusk.KindInvalid, "worker user %q: tusk up runs as uid %d and cannot run user code as another user", s.cfg.WorkerUser, os.Geteuid()).
			WithHint("leave --worker-user out (user code then runs as you), or run tusk up as root")
	}
	if err := os.Chown(sock, -1, group); err != nil {
		return nil, 0, fmt.Errorf("give the worker socket to group %d: %w", group, err)
	}
	if err := os.Chmod(sock, 0o660); err != nil {
		return nil, 0, fmt.Errorf("open the worker socket to group %d: %w", group, err)
	}
	return runAs, group, nil
}

// dockerRunner starts the docker runner, whose containers get the worker
// socket's group and carry the cluster's ID and this server's.
func (s *Server) dockerRunner(ctx context.Context, exe, sock string, group int, dir string) (*docker.Runner, error) {
	id, err := instanceID(dir)
	if err != nil {
		return nil, err
	}
	cluster, err := s.db.ClusterID(ctx)
	if err != nil {
		return nil, fmt.Errorf("the cluster's ID, which labels worker containers: %w", err)
	}
	return docker.New(ctx, docker.Options{Binary: exe, Socket: sock, SocketGroup: group, Instance: id,
		Cluster: cluster, Server: s.instance, NoNetwork: s.cfg.NoWorkerNetwork, Credentials: workerCredentials{s.auth}, Secrets: secretSource{s}, Logger: s.log})
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
