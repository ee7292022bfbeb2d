package process_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/runner"
	"github.com/tuskdata/tusk/internal/runner/process"
	"github.com/tuskdata/tusk/internal/testenv"
)

// recordingCredentials issues numbered tokens and records revocations.
type recordingCredentials struct {
	mu      sync.Mutex
	issued  []string
	revoked []string
}

func (c *recordingCredentials) Issue(_ context.Context, pipeline, worker string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tok := fmt.Sprintf("tok-%s-%d", worker, len(c.issued))
	c.issued = append(c.issued, tok)
	return tok, nil
}

func (c *recordingCredentials) Revoke(_ context.Context, token string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.revoked = append(c.revoked, token)
	return nil
}

// TestEachWorkerHasItsOwnToken: every worker process gets a token of its
// own in $TUSK_WORKER_TOKEN, and stopping the pipeline revokes every
// token issued.
func TestEachWorkerHasItsOwnToken(t *testing.T) {
	dir := testenv.OpenDir(t, 0o755)
	seen := filepath.Join(dir, "tokens")
	// A stand-in for the tusk binary: it notes its token and waits.
	exe := filepath.Join(dir, "worker.sh")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\necho \"$"+runner.WorkerTokenEnv+"\" >> "+seen+"\nexec sleep 600\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	creds := &recordingCredentials{}
	r := process.New(exe, "unix:///nonexistent.sock", creds, filepath.Join(dir, "workers"), nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer r.Close()
	ctx := context.Background()
	if err := r.Ensure(ctx, runner.WorkerSpec{Pipeline: "creds", Version: 1, Workers: 2}); err != nil {
		t.Fatal(err)
	}
	tokens := func() []string {
		data, _ := os.ReadFile(seen)
		return strings.Fields(string(data))
	}
	testenv.Eventually(t, 30*time.Second, "both workers note their token", func() bool { return len(tokens()) == 2 })
	got := slices.Sorted(slices.Values(tokens()))
	creds.mu.Lock()
	issued := slices.Sorted(slices.Values(creds.issued))
	creds.mu.Unlock()
	if got[0] == got[1] || !slices.Equal(got, issued) {
		t.Fatalf("the workers had tokens %v, issued %v: want one distinct issued token each", got, issued)
	}
	if err := r.Stop(ctx, "creds"); err != nil {
		t.Fatal(err)
	}
	creds.mu.Lock()
	defer creds.mu.Unlock()
	if revoked := slices.Sorted(slices.Values(creds.revoked)); !slices.Equal(revoked, issued) {
		t.Errorf("after Stop: revoked %v, issued %v; want every issued token revoked", revoked, issued)
	}
}
