package runnertest

import (
	"context"
	"sync"

	"github.com/tuskdata/tusk/internal/runner"
)

// credentials are the server's worker credentials, recording every token
// issued and revoked.
type credentials struct {
	server runner.Credentials

	mu     sync.Mutex
	tokens []*token // in the order issued
}

// token is a token issued to a worker.
type token struct {
	pipeline, worker, value string
	revoked                 bool
}

func (c *credentials) Issue(ctx context.Context, pipeline, worker string) (string, error) {
	v, err := c.server.Issue(ctx, pipeline, worker)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tokens = append(c.tokens, &token{pipeline: pipeline, worker: worker, value: v})
	return v, nil
}

func (c *credentials) Revoke(ctx context.Context, value string) error {
	if err := c.server.Revoke(ctx, value); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range c.tokens {
		if t.value == value {
			t.revoked = true
		}
	}
	return nil
}

// issued returns how many tokens were issued.
func (c *credentials) issued() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.tokens)
}

// last returns the last token issued to worker, or "" and false.
func (c *credentials) last(worker string) (value string, revoked bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.tokens) - 1; i >= 0; i-- {
		if t := c.tokens[i]; t.worker == worker {
			return t.value, t.revoked
		}
	}
	return "", false
}

// unrevoked returns the workers, among those keep accepts, that hold a
// token not revoked.
func (c *credentials) unrevoked(keep func(worker string) bool) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, t := range c.tokens {
		if !t.revoked && keep(t.worker) {
			out = append(out, t.worker)
		}
	}
	return out
}

// revoked reports whether value was revoked.
func (c *credentials) revoked(value string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range c.tokens {
		if t.value == value {
			return t.revoked
		}
	}
	return false
}
