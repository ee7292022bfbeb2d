package runnertest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/tuskdata/tusk/internal/runner"
)

// credentials are the server's worker credentials, recording every token
// issued and revoked, and the pipeline version each was issued for.
type credentials struct {
	server     runner.Credentials
	perVersion bool

	mu     sync.Mutex
	tokens []*token // in the order issued
	// ensuring is the pipeline version whose Ensure runs: a runner of
	// per-version tokens issues its token then.
	ensuring pipelineVersion
}

// pipelineVersion is a version of a pipeline.
type pipelineVersion struct {
	pipeline string
	version  int
}

// token is a token issued to a worker, or to the workers of a version.
type token struct {
	pipeline, worker, value string
	// version is the pipeline version the token is for: the one in the
	// worker's name, or the one being ensured when a runner of
	// per-version tokens issued it; 0 if neither says.
	version int
	revoked bool
}

func (c *credentials) Issue(ctx context.Context, pipeline, worker string) (string, error) {
	v, err := c.server.Issue(ctx, pipeline, worker)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &token{pipeline: pipeline, worker: worker, value: v}
	if !c.perVersion {
		_, t.version = parseWorker(worker)
	} else if c.ensuring.pipeline == pipeline {
		t.version = c.ensuring.version
	}
	c.tokens = append(c.tokens, t)
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

// during runs f, an Ensure of version v of pipeline p, attributing the
// tokens issued meanwhile to that version.
func (c *credentials) during(p string, v int, f func() error) error {
	c.mu.Lock()
	c.ensuring = pipelineVersion{p, v}
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.ensuring = pipelineVersion{}
		c.mu.Unlock()
	}()
	return f()
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

// live returns the tokens of pipeline p not revoked.
func (c *credentials) live(p string) []token {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []token
	for _, t := range c.tokens {
		if t.pipeline == p && !t.revoked {
			out = append(out, *t)
		}
	}
	return out
}

// unrevoked describes the tokens of pipeline p not revoked, among those
// whose holder and version keep accepts.
func (c *credentials) unrevoked(p string, keep func(worker string, version int) bool) []string {
	var out []string
	for _, t := range c.live(p) {
		if keep(t.worker, t.version) {
			out = append(out, fmt.Sprintf("%s (version %d)", t.worker, t.version))
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

// parseWorker returns the pipeline and version of a worker named
// <pipeline>-v<version>-<i>, or "" and 0.
func parseWorker(id string) (pipeline string, version int) {
	rest, _, ok := cutLast(id, "-")
	if !ok {
		return "", 0
	}
	p, v, ok := cutLast(rest, "-v")
	if !ok {
		return "", 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return "", 0
	}
	return p, n
}

// cutLast slices s around the last sep.
func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}
