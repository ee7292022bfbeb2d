package runnertest

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/runner"
	"github.com/tuskdata/tusk/internal/server"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
	"github.com/tuskdata/tusk/internal/tusktest"
)

// timeout bounds each wait for workers to start, register or come back:
// a container or pod may take a while to start on a loaded machine.
const timeout = 2 * time.Minute

// env is one check's server, API and runner under test.
type env struct {
	t      *testing.T
	ctx    context.Context
	target Target
	creds  *credentials
	asks   *asks
}

// setup starts a server with the pipelines p and q, serves its API to
// workers, and makes the runner under test.
func setup(t *testing.T, newTarget Factory) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	srv, c, _ := tusktest.StartServer(t, server.Config{DataDir: t.TempDir()})
	if !srv.AuthActive() {
		t.Fatal("the server does not check tokens, so a worker's asking for work would not show that it holds a valid one")
	}
	if _, err := c.CreateRepo(ctx, "in", ""); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"p", "q"} {
		// Autoscaling with no input commit: the server's own runner runs
		// no worker of it.
		js := fmt.Sprintf(`{"pipeline": {"name": %q}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
			"transform": {"cmd": ["true"]}, "autoscaling": true}`, p)
		if _, err := c.CreatePipeline(ctx, []byte(js), false, false, false); err != nil {
			t.Fatalf("create pipeline %s: %v", p, err)
		}
	}
	// The scheduler puts them in standby once the server leads, which
	// first revokes every worker token issued before: wait for it, so
	// that it revokes none of the runner's.
	testenv.Eventually(t, timeout, "the scheduler puts pipelines p and q in standby", func() bool {
		for _, p := range []string{"p", "q"} {
			if info, err := c.InspectPipeline(ctx, p); err != nil || info.State != tusk.PipelineStandby {
				return false
			}
		}
		return true
	})
	e := &env{t: t, ctx: ctx, creds: &credentials{server: srv.WorkerCredentials()}, asks: newAsks()}
	sock := filepath.Join(t.TempDir(), "api.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	// Workers may run as any user.
	if err := os.Chmod(sock, 0o666); err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: e.asks.wrap(srv.Handler())}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	e.target = newTarget(t, API{Socket: sock, Credentials: e.creds})
	e.creds.mu.Lock()
	e.creds.perVersion = e.perVersion()
	e.creds.mu.Unlock()
	t.Cleanup(func() {
		if err := e.target.Runner.Close(); err != nil {
			t.Errorf("close the runner: %v", err)
		}
	})
	return e
}

// spec is the WorkerSpec of n workers of version v of pipeline p.
func (e *env) spec(p string, v, n int) runner.WorkerSpec {
	return runner.WorkerSpec{Pipeline: p, Version: v, Workers: n, Image: e.target.Image}
}

// perVersion reports whether the runner under test gives a pipeline
// version's workers one token between them.
func (e *env) perVersion() bool { return e.target.PerVersion != nil }

// ensure calls Ensure and fails the test on an error.
func (e *env) ensure(p string, v, n int) {
	e.t.Helper()
	if err := e.ensureErr(p, v, n); err != nil {
		e.t.Fatalf("Ensure %d workers of %s version %d: %v", n, p, v, err)
	}
}

// ensureErr calls Ensure, attributing the tokens it issues to version v.
func (e *env) ensureErr(p string, v, n int) error {
	return e.creds.during(p, v, func() error { return e.target.Runner.Ensure(e.ctx, e.spec(p, v, n)) })
}

// versionOf returns the pipeline and version of a worker.
func (e *env) versionOf(id string) (pipeline string, version int) {
	if e.perVersion() {
		return e.target.PerVersion.Version(id)
	}
	return parseWorker(id)
}

// workers returns the workers of pipeline p that exist now, by worker ID.
func (e *env) workers(p string) map[string]string {
	e.t.Helper()
	out := map[string]string{}
	for id, inst := range e.target.Workers(e.t) {
		if pipeline, _ := e.versionOf(id); pipeline == p {
			out[id] = inst
		}
	}
	return out
}

// tokenOf returns the token a worker holds: the last issued to it, or
// on a runner of per-version tokens the one it last asked for work with.
func (e *env) tokenOf(id string) string {
	if e.perVersion() {
		return e.asks.tokenOf(id)
	}
	tok, _ := e.creds.last(id)
	return tok
}

// ids names workers 0 to n-1 of version v of pipeline p.
func ids(p string, v, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-v%d-%d", p, v, i)
	}
	return out
}

// registered waits until exactly the n workers of version v of pipeline
// p exist and each has asked the API for work with the token it holds
// (the last issued to it, or its version's), and returns their
// instances.
func (e *env) registered(p string, v, n int) map[string]string {
	e.t.Helper()
	return e.registeredWhen(p, v, n, func(map[string]string) bool { return true })
}

// registeredWhen is registered, waiting until cond holds too.
func (e *env) registeredWhen(p string, v, n int, cond func(map[string]string) bool) map[string]string {
	e.t.Helper()
	what := fmt.Sprintf("workers %v run and ask for work with their tokens", ids(p, v, n))
	if e.perVersion() {
		what = fmt.Sprintf("%d workers of %s version %d run and ask for work with the version's token", n, p, v)
	}
	var got map[string]string
	testenv.Eventually(e.t, timeout, what, func() bool {
		if r := e.asks.refusals(); len(r) > 0 {
			e.t.Fatalf("the server refused the tokens of workers: %v", r)
		}
		got = e.workers(p)
		if e.perVersion() {
			return e.versionRegistered(p, v, n, got) && cond(got)
		}
		want := ids(p, v, n)
		if !slices.Equal(slices.Sorted(maps.Keys(got)), want) {
			return false
		}
		for _, id := range want {
			tok, revoked := e.creds.last(id)
			if tok == "" || revoked || !e.asks.asked(tok) {
				return false
			}
		}
		return cond(got)
	})
	return got
}

// versionRegistered reports whether got, the workers of p, are n workers
// of version v that asked for work with the one token of p not revoked,
// which was issued for version v.
func (e *env) versionRegistered(p string, v, n int, got map[string]string) bool {
	if len(got) != n {
		return false
	}
	live := e.creds.live(p)
	if len(live) != 1 || live[0].version != v {
		return false
	}
	for id := range got {
		if _, version := e.versionOf(id); version != v || e.asks.tokenOf(id) != live[0].value || !e.asks.asked(live[0].value) {
			return false
		}
	}
	return true
}

// gone checks that no worker of p is among those keep accepts (by ID
// and version), and that no token of p that keep accepts (by the worker
// it was issued to and its version) is left unrevoked.
func (e *env) gone(what, p string, keep func(id string, version int) bool) {
	e.t.Helper()
	var left []string
	for id := range e.workers(p) {
		if _, v := e.versionOf(id); keep(id, v) {
			left = append(left, id)
		}
	}
	if len(left) > 0 {
		e.t.Errorf("%s: workers %v still exist", what, slices.Sorted(slices.Values(left)))
	}
	if held := e.creds.unrevoked(p, keep); len(held) > 0 {
		e.t.Errorf("%s: tokens issued to %v not revoked", what, held)
	}
}

// all accepts every worker.
func all(string, int) bool { return true }
