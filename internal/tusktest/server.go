package tusktest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/server"
)

// StartServer runs a server with cfg in this process on a free loopback
// port and returns it with a client of its API that acts as a cluster
// admin (over https, pinning the server's certificate, if cfg.TLS asks
// for TLS); a nil cfg.Logger logs
// nowhere. stop shuts the server down and closes it, failing t if closing
// fails; it runs when t ends too, and only once.
func StartServer(t testing.TB, cfg server.Config) (s *server.Server, c *client.Client, stop func()) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err = server.New(ctx, cfg)
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
	token, _, err := s.AdminToken(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	addr, opts := ln.Addr().String(), []client.Option{client.WithToken(token)}
	if cert, ok := s.Certificate(); ok {
		addr, opts = "https://"+addr, append(opts, client.ServerFingerprint(cert.Fingerprint))
	}
	if c, err = client.New(addr, opts...); err != nil {
		t.Fatal(err)
	}
	return s, c, stop
}
