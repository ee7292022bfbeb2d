package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tuskdata/tusk/internal/client"
)

// TestMain doubles as a server process for the crash tests: with
// TUSK_TEST_SERVE_DIR set, the test binary runs a server on that
// directory, writes a cluster admin's token to DIR/token and its address
// to DIR/addr, and serves until killed. With
// TUSK_TEST_WORKER_BINARY set too, pipelines run on the process runner
// with that tusk binary.
func TestMain(m *testing.M) {
	if dir := os.Getenv("TUSK_TEST_SERVE_DIR"); dir != "" {
		if err := serveForever(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

func serveForever(dir string) error {
	ctx := context.Background()
	cfg := Config{DataDir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if bin := os.Getenv("TUSK_TEST_WORKER_BINARY"); bin != "" {
		cfg.Runner, cfg.WorkerBinary = "process", bin
	}
	s, err := New(ctx, cfg)
	if err != nil {
		return err
	}
	old, _ := os.ReadFile(filepath.Join(dir, "token"))
	token, _, err := s.AdminToken(ctx, string(old))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(token), 0o600); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, "addr.tmp")
	if err := os.WriteFile(tmp, []byte(ln.Addr().String()), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, "addr")); err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// newTestServer runs a server in this process on a loopback port and
// returns its address and a cluster admin's token.
func newTestServer(t *testing.T) (addr, token string) {
	t.Helper()
	_, addr, token = startTestServer(t, Config{})
	return addr, token
}

// startTestServer runs a server with cfg, in a temporary data directory
// unless cfg names one, on a loopback port, logging nowhere, and returns
// it with its address and a cluster admin's token.
func startTestServer(t testing.TB, cfg Config) (s *Server, addr, token string) {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	s, addr, _ = serveWith(t, cfg)
	token, _, err := s.AdminToken(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return s, addr, token
}

// newTestClient runs a server as newTestServer does and returns a client
// of a cluster admin.
func newTestClient(t *testing.T) *client.Client {
	t.Helper()
	addr, token := newTestServer(t)
	c, err := client.New(addr, client.WithToken(token))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// serveWith runs a server with cfg, logging nowhere, on a free loopback
// port and returns it with its address; it stops when stop is called or
// the test ends.
func serveWith(t testing.TB, cfg Config) (s *Server, addr string, stop func()) {
	t.Helper()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen = ln.Addr().String()
	if cfg.OIDC.Issuer != "" && cfg.OIDC.RedirectURL == "" {
		cfg.OIDC.RedirectURL = "http://" + cfg.Listen + "/auth/callback" // as tusk up has it
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err = New(ctx, cfg)
	if err != nil {
		cancel()
		ln.Close()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		s.Serve(ctx, ln)
		close(done)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-done
			if err := s.Close(); err != nil {
				t.Errorf("close the server: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return s, ln.Addr().String(), stop
}
