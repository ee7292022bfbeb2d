package server

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
)

// robots makes a robot token for each name and returns clients that use
// them.
func robots(t *testing.T, addr string, admin *client.Client, names ...string) []*client.Client {
	t.Helper()
	var out []*client.Client
	for _, n := range names {
		tok, err := admin.RobotToken(context.Background(), n, "")
		if err != nil {
			t.Fatal(err)
		}
		c, err := client.New(addr, client.WithToken(tok.Token))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func wantForbidden(t *testing.T, what string, err error, hint string) {
	t.Helper()
	var te *tusk.Error
	if !errors.As(err, &te) || te.Kind != tusk.KindForbidden || !strings.Contains(te.Hint, hint) {
		t.Errorf("%s: %v, want forbidden with a hint containing %q", what, err, hint)
	}
}

func hasRole(bs []tusk.RoleBinding, subject, role string) bool {
	for _, b := range bs {
		if b.Subject == subject && slices.Contains(b.Roles, role) {
			return true
		}
	}
	return false
}

// TestRolesAsInPachyderm: creating a repo makes its creator the owner;
// others see it only once given a role; creating a pipeline needs reader
// on its inputs and makes the creator owner of the output, and the
// pipeline's identity reader on its inputs and writer on its output.
func TestRolesAsInPachyderm(t *testing.T) {
	ctx := context.Background()
	_, addr, token := startTestServer(t, Config{DataDir: t.TempDir(), Runner: "process", WorkerBinary: "/bin/false"})
	admin, _ := client.New(addr, client.WithToken(token))
	rs := robots(t, addr, admin, "alice", "bob", "carol")
	alice, bob, carol := rs[0], rs[1], rs[2]

	if _, err := alice.CreateRepo(ctx, "raw", ""); err != nil {
		t.Fatal(err)
	}
	bs, err := alice.Roles(ctx, "raw")
	if err != nil || !hasRole(bs, "robot:alice", "repoOwner") {
		t.Fatalf("roles on a new repo: %v, %v; want its creator as repoOwner", bs, err)
	}
	if repos, err := bob.ListRepos(ctx); err != nil || len(repos) != 0 {
		t.Errorf("bob lists %v, %v; want no repo", repos, err)
	}
	_, err = bob.InspectRepo(ctx, "raw")
	wantForbidden(t, "bob inspects raw", err, "tusk auth set repo raw repoReader robot:bob")

	if err := alice.SetRoles(ctx, "raw", "robot:bob", []string{"repoReader"}); err != nil {
		t.Fatal(err)
	}
	if repos, err := bob.ListRepos(ctx); err != nil || len(repos) != 1 || repos[0].Name != "raw" {
		t.Errorf("bob, a reader of raw, lists %v, %v", repos, err)
	}
	_, err = bob.StartCommit(ctx, "raw", "master", "")
	wantForbidden(t, "bob, a reader, starts a commit", err, "repoWriter")
	wantForbidden(t, "bob deletes raw", bob.DeleteRepo(ctx, "raw", false), "repoOwner")
	wantForbidden(t, "bob gives himself more", bob.SetRoles(ctx, "raw", "robot:bob", []string{"repoOwner"}), "repoOwner")

	spec := []byte(`{"pipeline": {"name": "edges"}, "transform": {"cmd": ["true"]}, "input": {"pfs": {"repo": "raw", "glob": "/*"}}}`)
	_, err = carol.CreatePipeline(ctx, spec, false, false, false)
	wantForbidden(t, "carol makes a pipeline over raw", err, "tusk auth set repo raw repoReader robot:carol")
	if _, err := bob.CreatePipeline(ctx, spec, false, false, false); err != nil {
		t.Fatalf("bob, a reader of raw, makes a pipeline over it: %v", err)
	}
	if bs, err := bob.Roles(ctx, "edges"); err != nil || !hasRole(bs, "robot:bob", "repoOwner") || !hasRole(bs, "pipeline:edges", "repoWriter") {
		t.Errorf("roles on the output repo: %v, %v; want bob repoOwner, pipeline:edges repoWriter", bs, err)
	}
	if bs, err := alice.Roles(ctx, "raw"); err != nil || !hasRole(bs, "pipeline:edges", "repoReader") || hasRole(bs, "pipeline:edges", "repoWriter") {
		t.Errorf("roles on the input repo: %v, %v; want pipeline:edges repoReader only", bs, err)
	}
	if ps, err := alice.ListPipelines(ctx); err != nil || len(ps) != 0 {
		t.Errorf("alice lists pipelines %v, %v; want none (she may not read edges)", ps, err)
	}
	wantForbidden(t, "alice deletes bob's pipeline", alice.DeletePipeline(ctx, "edges", false), "repoOwner")
	if err := bob.DeletePipeline(ctx, "edges", false); err != nil {
		t.Fatal(err)
	}
	if bs, err := alice.Roles(ctx, "raw"); err != nil || hasRole(bs, "pipeline:edges", "repoReader") {
		t.Errorf("roles on raw after the pipeline went: %v, %v; want none of pipeline:edges", bs, err)
	}

	// Revoked tokens stop working at once.
	if _, err := admin.RevokeRobot(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.ListRepos(ctx); !errors.Is(err, tusk.ErrUnauthenticated) {
		t.Errorf("a revoked robot lists repos: %v, want unauthenticated", err)
	}
}

// TestKeepAuthRefusesDeactivation: a server that other machines may
// reach (tusk up beyond loopback, without --insecure) keeps its
// authentication on, whoever asks.
func TestKeepAuthRefusesDeactivation(t *testing.T) {
	ctx := context.Background()
	srv, addr, token := startTestServer(t, Config{DataDir: t.TempDir(), Runner: "process", WorkerBinary: "/bin/false", KeepAuth: true})
	admin, _ := client.New(addr, client.WithToken(token))
	err := admin.DeactivateAuth(ctx)
	var te *tusk.Error
	if !errors.As(err, &te) || te.Kind != tusk.KindInvalid || !strings.Contains(te.Message, "authentication stays on") || !strings.Contains(te.Hint, "--insecure") {
		t.Fatalf("deactivate on a server that keeps authentication: %v, want invalid, naming --insecure", err)
	}
	if !srv.AuthActive() {
		t.Fatal("authentication is off after a refused deactivation")
	}
	anon, _ := client.New(addr)
	if _, err := anon.ListRepos(ctx); !errors.Is(err, tusk.ErrUnauthenticated) {
		t.Errorf("a request without a token after the refused deactivation: %v, want unauthenticated", err)
	}
}
