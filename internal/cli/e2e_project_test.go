package cli

import (
	"encoding/json"
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
	// shows it, and commands naming repos use it (refused while repos are
	// all in the default project); --project overrides it.
	e.run("config", "set", "context", "lab", "--address", e.addr)
	e.run("config", "set", "active-context", "lab")
	e.run("config", "set", "context", "lab", "--project", "staging")
	var ctx contextConfig
	if err := json.Unmarshal([]byte(e.run("config", "get", "context")), &ctx); err != nil || ctx.Project != "staging" || ctx.Address != e.addr {
		t.Errorf("config get context: %+v, %v; want project staging", ctx, err)
	}
	wantContains(t, "list project with the context's", e.run("list", "project"), "*        staging")
	wantContains(t, "a repo of the context's project", e.fail(1, "list", "repo"), `the context's project is "staging"`, "--project default")
	wantContains(t, "--project staging", e.fail(1, "list", "repo", "--project", "staging"), `--project is "staging"`)
	wantContains(t, "a bad project in the context", e.fail(1, "config", "set", "context", "lab", "--project", "a/b"), `invalid project name "a/b"`)
	e.run("create", "repo", "images", "--project", "default")
	e.run("config", "set", "context", "lab", "--project", "")
	wantContains(t, "list project after the context's is unset", e.run("list", "project"), "*        default")
	wantContains(t, "list repo --project default", e.run("list", "repo", "--project", "default"), "images")
	spec := e.writeFile("union.json", []byte(`{"pipeline": {"name": "both"}, "transform": {"cmd": ["true"]},
	 "input": {"union": [{"pfs": {"repo": "images", "glob": "/*"}}, {"pfs": {"project": "staging", "repo": "images", "glob": "/*"}}]}}`))
	wantContains(t, "an input of another project", e.fail(1, "create", "pipeline", "-f", spec), "input.union[1].pfs.project")
}
