package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/server"
)

// tuskServer is a Tusk server running in this process.
type tuskServer struct {
	dataDir string
	addr    string // as client.New takes it
	client  *client.Client
	srv     *server.Server
	cancel  context.CancelFunc
	done    chan error
}

// startTusk runs a server on dataDir, listening on a free loopback port,
// with garbage collection off.
func startTusk(ctx context.Context, dataDir string) (*tuskServer, error) {
	return startServer(ctx, server.Config{DataDir: dataDir})
}

// startServer is startTusk with more of the server's configuration (its
// logger is set here).
func startServer(ctx context.Context, cfg server.Config) (*tuskServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start tusk: %w", err)
	}
	return startServerOn(ctx, cfg, ln)
}

// startServerOn is startServer serving on ln, which it closes when the
// server stops or fails to start.
func startServerOn(ctx context.Context, cfg server.Config, ln net.Listener) (*tuskServer, error) {
	ctx, cancel := context.WithCancel(ctx)
	cfg.Logger = serverLogger()
	srv, err := server.New(ctx, cfg)
	if err != nil {
		cancel()
		ln.Close()
		return nil, fmt.Errorf("start tusk: %w", err)
	}
	token, _, err := srv.AdminToken(ctx, "")
	if err != nil {
		cancel()
		ln.Close()
		srv.Close()
		return nil, fmt.Errorf("start tusk: %w", err)
	}
	addr, opts := ln.Addr().String(), []client.Option{client.WithToken(token)}
	if cert, ok := srv.Certificate(); ok {
		addr, opts = "https://"+addr, append(opts, client.ServerFingerprint(cert.Fingerprint))
	}
	c, err := client.New(addr, opts...)
	if err != nil {
		cancel()
		ln.Close()
		srv.Close()
		return nil, err
	}
	t := &tuskServer{dataDir: cfg.DataDir, addr: addr, client: c, srv: srv, cancel: cancel, done: make(chan error, 1)}
	go func() { t.done <- srv.Serve(ctx, ln) }()
	return t, nil
}

// serverLogger keeps the server's warnings and errors, not its chatter.
func serverLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("component", "tusk")
}

// stop shuts the server down and closes its stores.
func (t *tuskServer) stop() error {
	t.cancel()
	serr := <-t.done
	cerr := t.srv.Close()
	if serr != nil {
		return fmt.Errorf("tusk server: %w", serr)
	}
	if cerr != nil {
		return fmt.Errorf("close tusk stores: %w", cerr)
	}
	return nil
}

// phases splits the time of an upload: PutFile calls (reading, cutting,
// hashing, and sending chunks as they are cut) and the Commit (waiting for
// the last chunks, then the server applying every operation).
type phases struct {
	put, commit time.Duration
}

func (p phases) total() time.Duration { return p.put + p.commit }

func (p phases) String() string {
	return fmt.Sprintf("PutFile %s, Commit %s", secs(p.put), secs(p.commit))
}

// putFile uploads one local file to repo@master as one commit.
func putFile(ctx context.Context, c *client.Client, repo, local, path string) (phases, error) {
	var ph phases
	start := time.Now()
	up, err := c.NewUpload(ctx)
	if err != nil {
		return ph, fmt.Errorf("new upload: %w", err)
	}
	f, err := os.Open(local)
	if err != nil {
		up.Abort()
		return ph, fmt.Errorf("open %s: %w", local, err)
	}
	defer f.Close()
	if err := up.PutFile(path, f, false); err != nil {
		up.Abort()
		return ph, err
	}
	ph.put = time.Since(start)
	if _, err := up.Commit(repo + "@master"); err != nil {
		return ph, fmt.Errorf("commit %s: %w", repo, err)
	}
	ph.commit = time.Since(start) - ph.put
	return ph, nil
}

// putTree uploads every regular file under dir to repo@master in one
// commit: one Upload, a PutFile per file, one Commit.
func putTree(ctx context.Context, c *client.Client, repo, dir string) (int, phases, error) {
	var ph phases
	start := time.Now()
	up, err := c.NewUpload(ctx)
	if err != nil {
		return 0, ph, fmt.Errorf("new upload: %w", err)
	}
	n, err := putDir(up, dir)
	if err != nil {
		up.Abort()
		return n, ph, err
	}
	ph.put = time.Since(start)
	if _, err := up.Commit(repo + "@master"); err != nil {
		return n, ph, fmt.Errorf("commit %s: %w", repo, err)
	}
	ph.commit = time.Since(start) - ph.put
	return n, ph, nil
}

// putDir adds a PutFile of every regular file under dir to up, at its
// path relative to dir, and returns how many there were.
func putDir(up *client.Upload, dir string) (int, error) {
	var files []client.LocalFile
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		files = append(files, client.LocalFile{Name: p, Path: "/" + filepath.ToSlash(rel), Size: info.Size()})
		return nil
	})
	if err == nil {
		err = up.PutLocalFiles(files)
	}
	if err != nil {
		return 0, fmt.Errorf("upload tree %s: %w", dir, err)
	}
	return len(files), nil
}

// putTiny commits n generated tiny files (tinyContent, version 0) to
// repo@master in one commit.
func putTiny(ctx context.Context, c *client.Client, repo string, n int) error {
	up, err := c.NewUpload(ctx)
	if err != nil {
		return fmt.Errorf("new upload: %w", err)
	}
	for i := range n {
		if err := up.PutFile("/"+smallFilePath(i), bytes.NewReader(tinyContent(i, 0)), false); err != nil {
			up.Abort()
			return err
		}
	}
	if _, err := up.Commit(repo + "@master"); err != nil {
		return fmt.Errorf("commit %d tiny files to %s: %w", n, repo, err)
	}
	return nil
}

// changeOne commits a new version of the i-th tiny file of repo.
func changeOne(ctx context.Context, c *client.Client, repo string, i, version int) error {
	up, err := c.NewUpload(ctx)
	if err != nil {
		return fmt.Errorf("new upload: %w", err)
	}
	if err := up.PutFile("/"+smallFilePath(i), bytes.NewReader(tinyContent(i, version)), false); err != nil {
		up.Abort()
		return err
	}
	if _, err := up.Commit(repo + "@master"); err != nil {
		return fmt.Errorf("commit one change to %s: %w", repo, err)
	}
	return nil
}

// dirSize is the total size of the regular files under dir, like du -sb.
func dirSize(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += info.Size()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("size of %s: %w", dir, err)
	}
	return total, nil
}
