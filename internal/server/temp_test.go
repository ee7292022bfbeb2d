package server

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a log destination safe for concurrent writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestStartupRemovesWhatDeadServersLeft(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, age time.Duration) string {
		t.Helper()
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("left"), 0o644); err != nil {
			t.Fatal(err)
		}
		then := time.Now().Add(-age)
		if err := os.Chtimes(path, then, then); err != nil {
			t.Fatal(err)
		}
		return path
	}
	oldTemp := write("objects/chunks/ab/.tmp-DEAD", time.Hour)
	newTemp := write("objects/chunks/ab/.tmp-MINE", -time.Second) // as if a Put of the new server wrote it
	write("workers/p-v1-0/in/file", time.Hour)
	// A dead worker's $TMPDIR, recorded next to its datum directory.
	deadTmp := filepath.Join(t.TempDir(), "tusk-worker-1")
	if err := os.MkdirAll(filepath.Join(deadTmp, "tusk-bin-1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(deadTmp, filepath.Join(dir, "workers", "p-v1-0.tmp")); err != nil {
		t.Fatal(err)
	}
	write("tusk.sock", time.Hour)

	logs := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := New(ctx, Config{DataDir: dir, Runner: "process", Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		s.Serve(ctx, ln)
		close(done)
	}()
	defer func() {
		cancel()
		<-done
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}()

	for _, path := range []string{filepath.Join(dir, "workers"), deadTmp} {
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the dead workers' %s is still there: %v", path, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "tusk.sock")); err != nil || fi.Mode()&os.ModeSocket == 0 {
		t.Errorf("tusk.sock is not this server's socket: %v, %v", fi, err)
	}
	const cleaned = `msg="removed the temporary files of unfinished writes" files=1`
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), cleaned); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no log of the cleanup after 10s:\n%s", logs)
		}
	}
	if _, err := os.Stat(oldTemp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the dead server's temporary file is still there: %v", err)
	}
	if _, err := os.Stat(newTemp); err != nil {
		t.Errorf("the cleanup removed a temporary file newer than the server: %v", err)
	}
}
