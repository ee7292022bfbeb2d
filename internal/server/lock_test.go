package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/tusk"
)

func TestSecondServerOnDataDirRefuses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := Config{DataDir: dir, Listen: "127.0.0.1:1650", Runner: "process", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	first, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "tusk.sock")
	before, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen = "127.0.0.1:1651"
	second, err := New(ctx, cfg)
	if err == nil {
		second.Close()
		first.Close()
		t.Fatal("a second server on a data directory in use started")
	}
	want := fmt.Sprintf("data directory %s is in use by process %d (tusk up --listen 127.0.0.1:1650), which holds the lock on %s", dir, os.Getpid(), filepath.Join(dir, "tusk.lock"))
	if !errors.Is(err, tusk.ErrConflict) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "--data-dir") {
		t.Errorf("second New = %v\nwant a conflict containing %q and a hint naming --data-dir", err, want)
	}
	if after, err := os.Stat(sock); err != nil || !os.SameFile(before, after) {
		t.Errorf("the first server's worker socket was removed or replaced: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	third, err := New(ctx, cfg)
	if err != nil {
		t.Fatalf("New after the first server closed: %v", err)
	}
	if err := third.Close(); err != nil {
		t.Error(err)
	}
}

func TestNewCreatesDataDir(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "a", "b")
	s, err := New(ctx, Config{DataDir: dir, Storage: "mem://", Metadata: filepath.Join(t.TempDir(), "meta.db"),
		Runner: "process", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("New with a missing data directory and both stores elsewhere: %v", err)
	}
	defer s.Close()
	for _, name := range []string{"tusk.lock", "tusk.sock"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("data directory: %v", err)
		}
	}
}

func TestNewWithoutDataDirRemovesItsTempDir(t *testing.T) {
	ctx := context.Background()
	s, err := New(ctx, Config{Storage: "mem://", Metadata: filepath.Join(t.TempDir(), "meta.db"),
		Runner: "process", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	dir := s.tempDir
	if _, err := os.Stat(filepath.Join(dir, "tusk.sock")); err != nil {
		t.Fatalf("worker socket: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Stat(%s) after Close = %v; want the directory gone", dir, err)
	}
}
