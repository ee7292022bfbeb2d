package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/pachapi"
)

// TestE2EProjects: projects are created, listed, described and deleted;
// the default one always exists and stays; a project that holds repos
// is refused, naming them; -o json gives pachctl's ProjectInfo.
func TestE2EProjects(t *testing.T) {
	e := startServer(t)
	e.run("create", "project", "staging", "-d", "before release")
	e.run("create", "project", "audit")
	wantContains(t, "list project", e.run("list", "project"), "ACTIVE", "PROJECT", "CREATED", "DESCRIPTION", "audit", "default", "staging", "before release")
	infos := lines[pachapi.ProjectInfo](e, "list", "project", "-o", "json")
	if len(infos) != 3 || infos[0].Project.Name != "audit" || infos[1].Project.Name != "default" || infos[2].Project.Name != "staging" || infos[2].Description != "before release" {
		t.Errorf("list project -o json: %+v", infos)
	}
	e.run("update", "project", "audit", "-d", "checks")
	if pi := object[pachapi.ProjectInfo](e, "inspect", "project", "audit"); pi.Project.Name != "audit" || pi.Description != "checks" || pi.CreatedAt.IsZero() {
		t.Errorf("inspect project audit -o json: %+v", pi)
	}
	wantContains(t, "inspect project", e.run("inspect", "project", "audit"), "Name:", "audit", "checks")
	wantContains(t, "a second staging", e.fail(1, "create", "project", "staging"), `project "staging" already exists`)
	wantContains(t, "a bad name", e.fail(1, "create", "project", "../x"), `invalid project name "../x"`)
	wantContains(t, "inspect project ml", e.fail(1, "inspect", "project", "ml"), `project "ml" not found`, "tusk list project")
	wantContains(t, "delete project default", e.fail(1, "delete", "project", "default"), "cannot be deleted")
	wantContains(t, "delete project ml", e.fail(1, "delete", "project", "ml"), `project "ml" not found`)
	e.run("delete", "project", "audit", "--force")
	wantContains(t, "inspect a deleted project", e.fail(1, "inspect", "project", "audit"), `project "audit" not found`)

	// The context's project: list project marks it, config get context
	// shows it, and commands naming repos use it; --project overrides it.
	// A repo name is taken once per project, each with its own data.
	e.run("config", "set", "context", "lab", "--address", e.addr)
	e.run("config", "set", "active-context", "lab")
	e.run("config", "set", "context", "lab", "--project", "staging")
	var ctx contextConfig
	if err := json.Unmarshal([]byte(e.run("config", "get", "context")), &ctx); err != nil || ctx.Project != "staging" || ctx.Address != e.addr {
		t.Errorf("config get context: %+v, %v; want project staging", ctx, err)
	}
	wantContains(t, "list project with the context's", e.run("list", "project"), "*        staging")
	wantContains(t, "a bad project in the context", e.fail(1, "config", "set", "context", "lab", "--project", "a/b"), `invalid project name "a/b"`)
	wantContains(t, "a missing project", e.fail(1, "create", "repo", "images", "--project", "ml"), `project "ml" not found`, "tusk create project")
	e.run("create", "repo", "images")
	e.run("create", "repo", "images", "--project", "default")
	wantContains(t, "images again in staging", e.fail(1, "create", "repo", "images"), `repo "images" already exists`)
	e.runIn(strings.NewReader("staging data"), "put", "file", "images@master:/a.txt")
	e.runIn(strings.NewReader("default data"), "put", "file", "images@master:/a.txt", "--project", "default")
	if got := e.run("get", "file", "images@master:/a.txt"); got != "staging data" {
		t.Errorf("get file in the context's project staging: %q", got)
	}
	if got := e.run("get", "file", "images@master:/a.txt", "--project", "default"); got != "default data" {
		t.Errorf("get file --project default: %q", got)
	}
	if got := e.run("get", "file", "default/images@master:/a.txt"); got != "default data" {
		t.Errorf("get file default/images@master: %q", got)
	}
	wantLines(t, "list repo in staging", e.run("list", "repo"), `^PROJECT\s+NAME`, `^staging\s+images\s`)
	wantLines(t, "list repo -A", e.run("list", "repo", "-A"), `^PROJECT\s+NAME`, `^default\s+images\s`, `^staging\s+images\s`)
	repos := lines[pachapi.RepoInfo](e, "list", "repo", "-A", "-o", "json")
	if len(repos) != 2 || repos[0].Repo.Project.Name != "default" || repos[1].Repo.Project.Name != "staging" {
		t.Errorf("list repo -A -o json: %+v", repos)
	}
	wantLines(t, "list commit in staging", e.run("list", "commit", "images"), `^PROJECT\s+REPO`, `^staging\s+images\s`)
	if ci := object[pachapi.CommitInfo](e, "inspect", "commit", "images@master"); ci.Commit.Repo.Project.Name != "staging" {
		t.Errorf("inspect commit -o json in staging: %+v", ci.Commit)
	}
	wantContains(t, "delete project staging, which holds images", e.fail(1, "delete", "project", "staging"), `project "staging" still holds repos images`)
	wantContains(t, "a pipeline of another project", e.fail(1, "list", "pipeline"), `the context's project is "staging"`, "--project default")
	e.run("config", "set", "context", "lab", "--project", "")
	wantContains(t, "list project after the context's is unset", e.run("list", "project"), "*        default")
	wantLines(t, "list repo of the default project", e.run("list", "repo"), `^default\s+images\s`)
	spec := e.writeFile("union.json", []byte(`{"pipeline": {"name": "both"}, "transform": {"cmd": ["true"]},
	 "input": {"union": [{"pfs": {"repo": "images", "glob": "/*"}}, {"pfs": {"project": "staging", "repo": "images", "glob": "/*"}}]}}`))
	wantContains(t, "an input of another project", e.fail(1, "create", "pipeline", "-f", spec), "input.union[1].pfs.project")
	e.run("delete", "repo", "images", "--project", "staging")
	e.run("delete", "project", "staging")
}
