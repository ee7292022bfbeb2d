package runnertest

import (
	"maps"
	"strings"
	"testing"
)

// Run runs every check of the suite on runners that newTarget makes, each
// check on a runner and a server of its own.
func Run(t *testing.T, newTarget Factory) {
	checks := []struct {
		name  string
		check func(*testing.T, Factory)
	}{
		{"start", Start},
		{"idempotent ensure", IdempotentEnsure},
		{"version replace", VersionReplace},
		{"scale", Scale},
		{"stop one", StopOne},
		{"close all", CloseAll},
		{"worker death", WorkerDeath},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) { c.check(t, newTarget) })
	}
}

// Start: Ensure makes the workers run, and each registers with a token
// of its own.
func Start(t *testing.T, newTarget Factory) {
	e := setup(t, newTarget)
	e.ensure("p", 1, 3)
	e.registered("p", 1, 3)
	tokens := map[string]bool{}
	for _, id := range ids("p", 1, 3) {
		tok, _ := e.creds.last(id)
		tokens[tok] = true
	}
	if len(tokens) != 3 {
		t.Errorf("3 workers hold %d distinct tokens, want one each", len(tokens))
	}
}

// IdempotentEnsure: Ensure of what runs leaves the same instances
// running and issues no token.
func IdempotentEnsure(t *testing.T, newTarget Factory) {
	e := setup(t, newTarget)
	e.ensure("p", 1, 2)
	before := e.registered("p", 1, 2)
	issued := e.creds.issued()
	for range 3 {
		e.ensure("p", 1, 2)
	}
	if after := e.workers("p"); !maps.Equal(after, before) {
		t.Errorf("after Ensure again: workers %v, want the same instances %v", after, before)
	}
	if n := e.creds.issued(); n != issued {
		t.Errorf("Ensure again issued %d tokens", n-issued)
	}
}

// VersionReplace: Ensure of a new version leaves no worker of the old one
// once it returns, and the new version's workers register.
func VersionReplace(t *testing.T, newTarget Factory) {
	e := setup(t, newTarget)
	e.ensure("p", 1, 2)
	e.registered("p", 1, 2)
	e.ensure("p", 2, 2)
	e.gone("after Ensure of version 2", "p", func(id string) bool { return strings.HasPrefix(id, "p-v1-") })
	e.registered("p", 2, 2)
	e.ensure("p", 3, 1)
	e.gone("after Ensure of version 3", "p", func(id string) bool { return !strings.HasPrefix(id, "p-v3-") })
	e.registered("p", 3, 1)
}

// Scale: Ensure of more or fewer workers starts or removes the difference
// only; the workers that stay keep running.
func Scale(t *testing.T, newTarget Factory) {
	e := setup(t, newTarget)
	e.ensure("p", 1, 1)
	first := e.registered("p", 1, 1)
	e.ensure("p", 1, 3)
	up := e.registered("p", 1, 3)
	if up["p-v1-0"] != first["p-v1-0"] {
		t.Errorf("scaling up from 1 to 3 replaced worker p-v1-0 (%s, then %s)", first["p-v1-0"], up["p-v1-0"])
	}
	e.ensure("p", 1, 2)
	e.gone("after scaling down to 2", "p", func(id string) bool { return id == "p-v1-2" })
	down := e.registered("p", 1, 2)
	for _, id := range ids("p", 1, 2) {
		if down[id] != up[id] {
			t.Errorf("scaling down from 3 to 2 replaced worker %s (%s, then %s)", id, up[id], down[id])
		}
	}
}

// StopOne: Stop removes a pipeline's workers and leaves the others; the
// pipeline starts again on the next Ensure.
func StopOne(t *testing.T, newTarget Factory) {
	e := setup(t, newTarget)
	e.ensure("p", 1, 2)
	e.ensure("q", 1, 1)
	e.registered("p", 1, 2)
	others := e.registered("q", 1, 1)
	if err := e.target.Runner.Stop(e.ctx, "p"); err != nil {
		t.Fatalf("Stop p: %v", err)
	}
	e.gone("after Stop of p", "p", all)
	if got := e.workers("q"); !maps.Equal(got, others) {
		t.Errorf("after Stop of p: the workers of q are %v, want them untouched %v", got, others)
	}
	if tok, revoked := e.creds.last("q-v1-0"); revoked {
		t.Errorf("Stop of p revoked q's token %s", tok)
	}
	if err := e.target.Runner.Stop(e.ctx, "p"); err != nil {
		t.Errorf("Stop of a stopped pipeline: %v", err)
	}
	e.ensure("p", 1, 2)
	e.registered("p", 1, 2)
}

// CloseAll: Close removes every worker and revokes every token; Ensure
// after it fails and starts nothing.
func CloseAll(t *testing.T, newTarget Factory) {
	e := setup(t, newTarget)
	e.ensure("p", 1, 2)
	e.ensure("q", 1, 1)
	e.registered("p", 1, 2)
	e.registered("q", 1, 1)
	if err := e.target.Runner.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	e.gone("after Close", "p", all)
	e.gone("after Close", "q", all)
	issued := e.creds.issued()
	if err := e.target.Runner.Ensure(e.ctx, e.spec("p", 1, 2)); err == nil {
		t.Error("Ensure after Close succeeded")
	}
	e.gone("after Ensure after Close", "p", all)
	if n := e.creds.issued(); n != issued {
		t.Errorf("Ensure after Close issued %d tokens", n-issued)
	}
}

// WorkerDeath: a killed worker comes back by itself with a new token and
// registers; the others are untouched, and Ensure adds none.
func WorkerDeath(t *testing.T, newTarget Factory) {
	e := setup(t, newTarget)
	e.ensure("p", 1, 2)
	before := e.registered("p", 1, 2)
	victim := before["p-v1-0"]
	oldToken, _ := e.creds.last("p-v1-0")
	e.target.Kill(t, victim)
	after := e.registeredWhen("p", 1, 2, func(ws map[string]string) bool {
		tok, _ := e.creds.last("p-v1-0")
		return tok != oldToken && ws["p-v1-0"] != victim
	})
	if !e.creds.revoked(oldToken) {
		t.Error("the killed worker's token was not revoked")
	}
	if after["p-v1-1"] != before["p-v1-1"] {
		t.Errorf("killing p-v1-0 replaced p-v1-1 (%s, then %s)", before["p-v1-1"], after["p-v1-1"])
	}
	// Ensure may report the death, but adds no worker.
	e.target.Runner.Ensure(e.ctx, e.spec("p", 1, 2))
	if got := e.workers("p"); !maps.Equal(got, after) {
		t.Errorf("Ensure after a death: workers %v, want %v", got, after)
	}
}
