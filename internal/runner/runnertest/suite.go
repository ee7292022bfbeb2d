package runnertest

import (
	"maps"
	"slices"
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
		{"scale to zero", ScaleToZero},
		{"stop one", StopOne},
		{"close all", CloseAll},
		{"worker death", WorkerDeath},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) { c.check(t, newTarget) })
	}
}

// Start: Ensure makes the workers run, and each registers with a token
// of its own, or all with their version's.
func Start(t *testing.T, newTarget Factory) {
	e := setup(t, newTarget)
	e.ensure("p", 1, 3)
	got := e.registered("p", 1, 3)
	tokens := map[string]bool{}
	for id := range got {
		tokens[e.tokenOf(id)] = true
	}
	if e.perVersion() {
		if len(tokens) != 1 || e.creds.issued() != 1 {
			t.Errorf("3 workers of one version hold %d distinct tokens, of %d issued; want the version's one", len(tokens), e.creds.issued())
		}
	} else if len(tokens) != 3 {
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
	e.gone("after Ensure of version 2", "p", func(_ string, v int) bool { return v == 1 })
	e.registered("p", 2, 2)
	e.ensure("p", 3, 1)
	e.gone("after Ensure of version 3", "p", func(_ string, v int) bool { return v != 3 })
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
	for id, inst := range first {
		if up[id] != inst {
			t.Errorf("scaling up from 1 to 3 replaced worker %s (%s, then %s)", id, inst, up[id])
		}
	}
	issued := e.creds.issued()
	e.ensure("p", 1, 2)
	if e.perVersion() {
		// The platform picks which worker goes: one of the three, gone
		// when Ensure returns; the version keeps its token.
		if left := e.workers("p"); len(left) > 2 {
			t.Errorf("after scaling down to 2: workers %v still exist", slices.Sorted(maps.Keys(left)))
		}
		if n := e.creds.issued(); n != issued {
			t.Errorf("scaling down issued %d tokens", n-issued)
		}
	} else {
		e.gone("after scaling down to 2", "p", func(id string, _ int) bool { return id == "p-v1-2" })
	}
	down := e.registered("p", 1, 2)
	for id, inst := range down {
		if up[id] != inst {
			t.Errorf("scaling down from 3 to 2 replaced worker %s (%s, then %s)", id, up[id], inst)
		}
	}
}

// ScaleToZero: Ensure of no workers (an idle autoscaling pipeline)
// removes every worker before it returns, and Ensure of some starts them
// again. A runner of per-version tokens keeps its version's token
// meanwhile and issues none; the others revoke the workers' tokens.
func ScaleToZero(t *testing.T, newTarget Factory) {
	e := setup(t, newTarget)
	e.ensure("p", 1, 2)
	e.registered("p", 1, 2)
	issued := e.creds.issued()
	e.ensure("p", 1, 0)
	if e.perVersion() {
		if left := e.workers("p"); len(left) > 0 {
			t.Errorf("after scaling to zero: workers %v still exist", slices.Sorted(maps.Keys(left)))
		}
		if live := e.creds.live("p"); len(live) != 1 || e.creds.issued() != issued {
			t.Errorf("after scaling to zero: %d live tokens of p, %d issued; want the version's one, none issued", len(live), e.creds.issued()-issued)
		}
	} else {
		e.gone("after scaling to zero", "p", all)
	}
	e.ensure("p", 1, 0)
	e.ensure("p", 1, 2)
	e.registered("p", 1, 2)
	if e.perVersion() && e.creds.issued() != issued {
		t.Errorf("scaling from zero issued %d tokens, want none: the version keeps its own", e.creds.issued()-issued)
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
	for id := range others {
		if tok := e.tokenOf(id); e.creds.revoked(tok) {
			t.Errorf("Stop of p revoked the token of q's worker %s", id)
		}
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
	if err := e.ensureErr("p", 1, 2); err == nil {
		t.Error("Ensure after Close succeeded")
	}
	e.gone("after Ensure after Close", "p", all)
	if n := e.creds.issued(); n != issued {
		t.Errorf("Ensure after Close issued %d tokens", n-issued)
	}
}

// WorkerDeath: a killed worker comes back by itself and registers (under
// the same name with a new token, the old one revoked; or, on a runner of
// per-version tokens, as a new worker with its version's token); the
// others are untouched, and Ensure adds none.
func WorkerDeath(t *testing.T, newTarget Factory) {
	e := setup(t, newTarget)
	e.ensure("p", 1, 2)
	before := e.registered("p", 1, 2)
	victimID := slices.Sorted(maps.Keys(before))[0]
	victim, oldToken := before[victimID], e.tokenOf(victimID)
	issued := e.creds.issued()
	e.target.Kill(t, victim)
	after := e.registeredWhen("p", 1, 2, func(ws map[string]string) bool {
		for _, inst := range ws {
			if inst == victim {
				return false
			}
		}
		return e.perVersion() || e.tokenOf(victimID) != oldToken
	})
	if e.perVersion() {
		if e.creds.revoked(oldToken) || e.creds.issued() != issued {
			t.Errorf("a worker's death revoked its version's token (%v) or issued %d tokens", e.creds.revoked(oldToken), e.creds.issued()-issued)
		}
	} else if !e.creds.revoked(oldToken) {
		t.Error("the killed worker's token was not revoked")
	}
	for id, inst := range before {
		if id != victimID && after[id] != inst {
			t.Errorf("killing %s replaced %s (%s, then %s)", victimID, id, inst, after[id])
		}
	}
	// Ensure may report the death, but adds no worker.
	e.ensureErr("p", 1, 2)
	if got := e.workers("p"); !maps.Equal(got, after) {
		t.Errorf("Ensure after a death: workers %v, want %v", got, after)
	}
}
