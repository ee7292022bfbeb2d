package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/server"
)

// serverProfileEnv, when set in a server process's environment, names
// the CPU profile it writes: the value, then "-PID.pprof".
const serverProfileEnv = "TUSK_BENCH_SERVER_PROFILE"

// stores are where a server process keeps its objects and metadata when
// not in its data directory: both set (an object store URL and a
// metadata DSN), or neither.
type stores struct {
	storage, metadata string
}

// args are the arguments of the serve mode after the data directory.
func (s stores) args() []string {
	if s.storage == "" {
		return nil
	}
	return []string{s.storage, s.metadata}
}

// storeRetry is how long a server process on stores of the network
// retries their transient errors, as `tusk up` does by default.
const storeRetry = 30 * time.Second

// serveChild is a server process: it serves args[0], its data directory,
// and the stores args[1] and args[2] when given, on a free loopback port,
// prints the address and an admin's token on a line of stdout and serves
// until interrupted or terminated.
func serveChild(ctx context.Context, args []string) error {
	if prefix := os.Getenv(serverProfileEnv); prefix != "" {
		f, err := os.Create(fmt.Sprintf("%s-%d.pprof", prefix, os.Getpid()))
		if err != nil {
			return fmt.Errorf("serve: CPU profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("serve: CPU profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	cfg := server.Config{DataDir: args[0], Logger: serverLogger()}
	switch len(args) {
	case 1:
	case 3:
		cfg.Storage, cfg.Metadata, cfg.StoreRetry = args[1], args[2], storeRetry
	default:
		return fmt.Errorf("serve: want DATADIR [STORAGE METADATA], not %q", args)
	}
	srv, err := server.New(ctx, cfg)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		return fmt.Errorf("serve: %w", err)
	}
	token, _, err := srv.AdminToken(ctx, "")
	if err != nil {
		srv.Close()
		return fmt.Errorf("serve: %w", err)
	}
	fmt.Println(ln.Addr().String(), token)
	err = srv.Serve(ctx, ln)
	if cerr := srv.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("serve: close stores: %w", cerr)
	}
	return err
}

// childServer is a Tusk server in a separate process: this binary
// re-executed in serve mode.
type childServer struct {
	cmd    *exec.Cmd
	client *client.Client
}

// startChild starts a server process on dataDir, with its objects and
// metadata on st when set, and waits for its address.
func startChild(ctx context.Context, dataDir string, st stores) (*childServer, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own binary: %w", err)
	}
	cmd := exec.CommandContext(ctx, self, append([]string{serveArg, dataDir}, st.args()...)...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("server process: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start server process: %w", err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, token, ok := strings.Cut(strings.TrimSpace(line), " ")
	if err != nil || !ok {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("server process gave no address and token: %q, %v", line, err)
	}
	c, err := client.New(addr, client.WithToken(token))
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, err
	}
	return &childServer{cmd: cmd, client: c}, nil
}

// stop terminates the server process and waits for it.
func (s *childServer) stop() error {
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop server process: %w", err)
	}
	if err := s.cmd.Wait(); err != nil {
		return fmt.Errorf("server process: %w", err)
	}
	return nil
}

// memory returns the process's peak (VmHWM) and current (VmRSS) resident
// set sizes in bytes.
func (s *childServer) memory() (hwm, rss int64, err error) {
	path := fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid)
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, fmt.Errorf("read %s: %w", path, err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "VmHWM" && k != "VmRSS") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("parse %s of %s: %w", k, path, err)
		}
		if k == "VmHWM" {
			hwm = kb << 10
		} else {
			rss = kb << 10
		}
	}
	return hwm, rss, nil
}
