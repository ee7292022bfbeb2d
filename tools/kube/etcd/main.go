// Command etcd serves a single-member etcd on 127.0.0.1 for the Kubernetes
// API server of Tusk's tests. etcd's own command cannot be installed with
// `go install` (its module has replace directives), so this wraps the
// embeddable server: it serves until it is interrupted or terminated.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"go.etcd.io/etcd/server/v3/embed"
)

func main() {
	dataDir := flag.String("data-dir", "", "directory for etcd's data (required)")
	clientPort := flag.Int("client-port", 2379, "port on 127.0.0.1 for clients")
	peerPort := flag.Int("peer-port", 2380, "port on 127.0.0.1 for peers")
	flag.Parse()
	if err := run(*dataDir, *clientPort, *peerPort); err != nil {
		slog.Error("etcd", "err", err)
		os.Exit(1)
	}
}

func run(dataDir string, clientPort, peerPort int) error {
	if dataDir == "" {
		return fmt.Errorf("-data-dir is required")
	}
	client := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", clientPort)}
	peer := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", peerPort)}
	cfg := embed.NewConfig()
	cfg.Name = "tusk-test"
	cfg.Dir = dataDir
	cfg.ListenClientUrls = []url.URL{client}
	cfg.AdvertiseClientUrls = []url.URL{client}
	cfg.ListenPeerUrls = []url.URL{peer}
	cfg.AdvertisePeerUrls = []url.URL{peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.LogLevel = "warn"
	// Test data: losing it in a crash does not matter, fsync's latency does.
	cfg.UnsafeNoFsync = true
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return fmt.Errorf("start etcd in %s: %w", dataDir, err)
	}
	defer e.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case <-e.Server.ReadyNotify():
		slog.Info("etcd ready", "client", client.String())
	case err := <-e.Err():
		return fmt.Errorf("etcd failed before it was ready: %w", err)
	case <-ctx.Done():
		return nil
	}
	select {
	case err := <-e.Err():
		return fmt.Errorf("etcd: %w", err)
	case <-ctx.Done():
		return nil
	}
}
