package auth

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

func newService(t *testing.T) *Service {
	t.Helper()
	db, err := meta.Open(t.Context(), filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return New(db)
}

func TestTokens(t *testing.T) {
	ctx := t.Context()
	s := newService(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s.now = func() time.Time { return now }
	forever, err := s.Issue(ctx, "robot:ci", 0)
	if err != nil {
		t.Fatal(err)
	}
	brief, err := s.Issue(ctx, "robot:ci", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(forever) < len(tokenPrefix)+43 || forever == brief {
		t.Fatalf("tokens %q and %q: want distinct tokens of 32 random bytes", forever, brief)
	}
	for _, tok := range []string{forever, brief} {
		if g, err := s.Authenticate(ctx, tok); err != nil || g.Subject != "robot:ci" {
			t.Errorf("Authenticate = %+v, %v; want robot:ci", g, err)
		}
	}
	if _, err := s.Authenticate(ctx, "tusk_not-a-token"); !errors.Is(err, tusk.ErrUnauthenticated) {
		t.Errorf("an unknown token: %v, want unauthenticated", err)
	}

	now = now.Add(2 * time.Hour)
	if _, err := s.Authenticate(ctx, brief); !errors.Is(err, tusk.ErrUnauthenticated) {
		t.Errorf("an expired token: %v, want unauthenticated", err)
	}
	if _, err := s.Authenticate(ctx, forever); err != nil {
		t.Errorf("a token without expiry, later: %v", err)
	}

	if err := s.Revoke(ctx, forever); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, forever); !errors.Is(err, tusk.ErrUnauthenticated) {
		t.Errorf("a revoked token: %v, want unauthenticated", err)
	}
	if err := s.Revoke(ctx, forever); !errors.Is(err, tusk.ErrNotFound) {
		t.Errorf("revoking twice: %v, want not found", err)
	}
}

func TestEnsureAdminAndActivation(t *testing.T) {
	ctx := t.Context()
	s := newService(t)
	tok, created, err := s.EnsureAdmin(ctx, "")
	if err != nil || !created {
		t.Fatalf("EnsureAdmin on a new store = %v, %v", created, err)
	}
	g, err := s.Authenticate(ctx, tok)
	if err != nil || !g.Admin || g.Subject != Admin {
		t.Fatalf("the admin token authenticates as %+v, %v", g, err)
	}
	again, created, err := s.EnsureAdmin(ctx, tok)
	if err != nil || created || again != tok {
		t.Errorf("EnsureAdmin with a valid token made a new one: %v, %v", created, err)
	}
	s.Revoke(ctx, tok)
	fresh, created, err := s.EnsureAdmin(ctx, tok)
	if err != nil || !created || fresh == tok {
		t.Errorf("EnsureAdmin with a revoked token kept it: %v, %v", created, err)
	}

	if active, _ := s.Active(ctx); !active {
		t.Fatal("a new store has authentication off")
	}
	if _, err := s.Activate(ctx); !errors.Is(err, tusk.ErrConflict) {
		t.Errorf("activating while active: %v, want conflict", err)
	}
	if err := s.Deactivate(ctx); err != nil {
		t.Fatal(err)
	}
	if active, _ := s.Active(ctx); active {
		t.Fatal("deactivated, yet active")
	}
	root, err := s.Activate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if g, err := s.Authenticate(ctx, root); err != nil || !g.Admin {
		t.Errorf("the token from Activate: %+v, %v; want a cluster admin", g, err)
	}
}

func TestGrantsAndRoles(t *testing.T) {
	ctx := t.Context()
	s := newService(t)
	roles, err := ParseRoles("repo", "repoReader,repoWriter")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetRoles(ctx, Repo(tusk.DefaultProject, "images"), "user:alice", roles); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRoles(ctx, Repo("staging", "edges"), "user:alice", []string{RepoOwner}); err != nil {
		t.Fatal(err)
	}
	g, err := s.Grants(ctx, "user:alice")
	if err != nil {
		t.Fatal(err)
	}
	if !g.Can("images", Read) || !g.Can("images", Write) || g.Can("images", Own) || g.Can("edges", Read) {
		t.Errorf("alice's grants %+v: want read and write on images only in the default project", g)
	}
	if !g.Can(RepoKey("staging", "edges"), Own) || g.Can(RepoKey("staging", "images"), Read) {
		t.Errorf("alice's grants %+v: want owner of edges only in project staging", g)
	}
	if _, err := ParseRoles("repo", "clusterAdmin"); !errors.Is(err, tusk.ErrInvalid) {
		t.Errorf("clusterAdmin on a repo: %v, want invalid", err)
	}
	if _, err := ParseRoles("cluster", "repoOwner"); !errors.Is(err, tusk.ErrInvalid) {
		t.Errorf("repoOwner on the cluster: %v, want invalid", err)
	}
	for in, want := range map[string]string{"alice": "user:alice", "robot:ci": "robot:ci", "pipeline:edges": "pipeline:edges"} {
		if got, err := ParseSubject(in); err != nil || got != want {
			t.Errorf("ParseSubject(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"group:x", "user:", "robot:a b"} {
		if _, err := ParseSubject(bad); err == nil {
			t.Errorf("ParseSubject(%q) succeeded", bad)
		}
	}
	if err := s.Forget(ctx, "user:alice"); err != nil {
		t.Fatal(err)
	}
	if g, _ := s.Grants(ctx, "user:alice"); g.Can("images", Read) {
		t.Error("a forgotten subject keeps its roles")
	}
}

func TestCodesWorkOnce(t *testing.T) {
	c := NewCodes()
	now := time.Now()
	c.now = func() time.Time { return now }
	code := c.New(Admin)
	if subject, err := c.Redeem(code); err != nil || subject != Admin {
		t.Fatalf("Redeem = %q, %v; want %s", subject, err, Admin)
	}
	if _, err := c.Redeem(code); !errors.Is(err, tusk.ErrUnauthenticated) {
		t.Errorf("a code used twice: %v, want unauthenticated", err)
	}
	late := c.New(Admin)
	now = now.Add(CodeTTL + time.Second)
	if _, err := c.Redeem(late); !errors.Is(err, tusk.ErrUnauthenticated) {
		t.Errorf("an expired code: %v, want unauthenticated", err)
	}
}

// TestAnotherServersRevocationTakesEffectWithinTheCacheTTL: a server
// reuses an authentication for cacheTTL, so a token that another server
// (sharing the store) revoked works there until then, and not after;
// on the server that revoked it, it stops at once.
func TestAnotherServersRevocationTakesEffectWithinTheCacheTTL(t *testing.T) {
	ctx := t.Context()
	one := newService(t)
	other := New(one.db)
	now := time.Now()
	one.now = func() time.Time { return now }
	tok, err := other.Issue(ctx, "robot:ci", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := one.Authenticate(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := other.Revoke(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Authenticate(ctx, tok); !errors.Is(err, tusk.ErrUnauthenticated) {
		t.Errorf("on the server that revoked it: %v, want unauthenticated", err)
	}
	now = now.Add(cacheTTL + time.Millisecond)
	if _, err := one.Authenticate(ctx, tok); !errors.Is(err, tusk.ErrUnauthenticated) {
		t.Errorf("on another server after %v: %v, want unauthenticated", cacheTTL, err)
	}
}

func TestAdoptAdmin(t *testing.T) {
	ctx := t.Context()
	s := newService(t)
	const chosen = "an-operator-chosen-secret-of-enough-length-0123456789"
	if _, err := s.Authenticate(ctx, chosen); !errors.Is(err, tusk.ErrUnauthenticated) {
		t.Fatalf("before adoption: %v, want unauthenticated", err)
	}
	for range 2 { // idempotent
		if err := s.AdoptAdmin(ctx, chosen+"\n"); err != nil {
			t.Fatalf("AdoptAdmin: %v", err)
		}
	}
	g, err := s.Authenticate(ctx, chosen)
	if err != nil || !g.Admin || g.Subject != Admin {
		t.Fatalf("the adopted token authenticates as %+v, %v; want the cluster admin", g, err)
	}
	if err := s.Revoke(ctx, chosen); err != nil {
		t.Fatal(err)
	}
	if err := s.AdoptAdmin(ctx, chosen); err != nil {
		t.Fatalf("adopting a revoked token again: %v", err)
	}
	if g, err := s.Authenticate(ctx, chosen); err != nil || !g.Admin {
		t.Errorf("the token adopted again: %+v, %v", g, err)
	}
	if err := s.AdoptAdmin(ctx, "short"); !errors.Is(err, tusk.ErrInvalid) {
		t.Errorf("a short token: %v, want invalid", err)
	}
	other, err := s.Issue(ctx, "user:bob@example.com", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AdoptAdmin(ctx, other); !errors.Is(err, tusk.ErrConflict) {
		t.Errorf("adopting bob's token as the admin's: %v, want conflict", err)
	}
}
