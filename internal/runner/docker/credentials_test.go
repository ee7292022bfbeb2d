package docker_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tuskdata/tusk/internal/runner"
	"github.com/tuskdata/tusk/internal/runner/docker"
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
	tok := fmt.Sprintf("tok-%s-%s-%d", pipeline, worker, len(c.issued))
	c.issued = append(c.issued, tok)
	return tok, nil
}

func (c *recordingCredentials) Revoke(_ context.Context, token string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.revoked = append(c.revoked, token)
	return nil
}

// TestEachContainerHasItsOwnToken: every worker container gets a token
// of its own in $TUSK_WORKER_TOKEN, and stopping the pipeline revokes
// every token issued.
func TestEachContainerHasItsOwnToken(t *testing.T) {
	e := needDocker(t)
	ctx := context.Background()
	fake := newFakeServer(t)
	creds := &recordingCredentials{}
	instance := newInstance()
	r := newRunner(t, e, docker.Options{Binary: tuskBinary(t), Socket: fake.sock, Instance: instance, Credentials: creds})
	if err := r.Ensure(ctx, runner.WorkerSpec{Pipeline: "creds", Version: 1, Workers: 2, Image: testImage}); err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, c := range e.containers("tusk.instance="+instance, "tusk.pipeline=creds") {
		for _, kv := range c.Config.Env {
			if tok, ok := strings.CutPrefix(kv, runner.WorkerTokenEnv+"="); ok {
				seen = append(seen, tok)
			}
		}
	}
	slices.Sort(seen)
	creds.mu.Lock()
	issued := slices.Sorted(slices.Values(creds.issued))
	creds.mu.Unlock()
	if len(seen) != 2 || seen[0] == seen[1] || !slices.Equal(seen, issued) {
		t.Fatalf("tokens in the containers %v, issued %v: want one distinct issued token each", seen, issued)
	}
	if err := r.Stop(ctx, "creds"); err != nil {
		t.Fatal(err)
	}
	creds.mu.Lock()
	defer creds.mu.Unlock()
	if revoked := slices.Sorted(slices.Values(creds.revoked)); !slices.Equal(revoked, slices.Sorted(slices.Values(creds.issued))) {
		t.Errorf("after Stop: revoked %v, issued %v; want every issued token revoked", revoked, creds.issued)
	}
}
