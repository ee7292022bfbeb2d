package server

import (
	"context"
	"testing"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
)

// TestRolesOfProjects: roles are on a repo of a project: the owner of
// images in the default project may not read staging's images, nor have
// its events, until given a role on that one; a provenance in another
// project needs reader there.
func TestRolesOfProjects(t *testing.T) {
	ctx := context.Background()
	_, addr, token := startTestServer(t, Config{DataDir: t.TempDir(), Runner: "process", WorkerBinary: "/bin/false"})
	admin, _ := client.New(addr, client.WithToken(token))
	alice := robots(t, addr, admin, "alice")[0]
	if _, err := admin.CreateProject(ctx, "staging", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.CreateRepo(ctx, "images", ""); err != nil {
		t.Fatal(err)
	}
	staging := admin.InProject("staging")
	if _, err := staging.CreateRepo(ctx, "images", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := staging.CreateBranch(ctx, "images", "master", "", nil, nil); err != nil {
		t.Fatal(err)
	}
	aliceStaging := alice.InProject("staging")
	_, err := aliceStaging.InspectRepo(ctx, "images")
	wantForbidden(t, "alice, owner of default's images, inspects staging's", err, "tusk auth set repo images repoReader robot:alice --project staging")
	if repos, err := aliceStaging.ListRepos(ctx); err != nil || len(repos) != 0 {
		t.Errorf("alice lists staging's repos: %v, %v; want none", repos, err)
	}
	if repos, err := alice.ListAllRepos(ctx); err != nil || len(repos) != 1 || repos[0].Project != "default" {
		t.Errorf("alice lists every project's repos: %+v, %v; want default's images", repos, err)
	}
	if _, err := alice.CreateRepo(ctx, "edges", ""); err != nil {
		t.Fatal(err)
	}
	_, err = alice.CreateBranch(ctx, "edges", "master", "", []tusk.BranchRef{{Project: "staging", Repo: "images", Branch: "master"}}, nil)
	wantForbidden(t, "alice feeds edges from staging's images", err, "repoReader")

	if err := staging.SetRoles(ctx, "images", "robot:alice", []string{"repoReader"}); err != nil {
		t.Fatal(err)
	}
	if bs, err := alice.Roles(ctx, "images"); err != nil || hasRole(bs, "robot:alice", "repoReader") || !hasRole(bs, "robot:alice", "repoOwner") {
		t.Errorf("alice's roles on default's images: %v, %v; want owner only", bs, err)
	}
	if r, err := aliceStaging.InspectRepo(ctx, "images"); err != nil || r.Project != "staging" {
		t.Errorf("alice, a reader of staging's images, inspects it: %+v, %v", r, err)
	}
	if _, err := alice.CreateBranch(ctx, "edges", "master", "", []tusk.BranchRef{{Project: "staging", Repo: "images", Branch: "master"}}, nil); err != nil {
		t.Errorf("alice, a reader of staging's images, feeds edges from it: %v", err)
	}
	_, err = aliceStaging.StartCommit(ctx, "images", "master", "")
	wantForbidden(t, "alice, a reader, writes to staging's images", err, "repoWriter")
}
