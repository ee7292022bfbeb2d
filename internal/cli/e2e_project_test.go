package cli

import (
	"encoding/json"
	"slices"
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
	// copy file reads its source in the project, or --src-project.
	e.run("copy", "file", "images@master:/a.txt", "images@master:/b.txt")
	e.run("copy", "file", "images@master:/a.txt", "images@master:/c.txt", "--src-project", "default")
	for path, want := range map[string]string{"/b.txt": "staging data", "/c.txt": "default data"} {
		if got := e.run("get", "file", "images@master:"+path); got != want {
			t.Errorf("get file images@master:%s in staging after copy file = %q, want %q", path, got, want)
		}
	}
	wantContains(t, "a source naming two projects", e.fail(2, "copy", "file", "default/images@master:/a.txt", "images@master:/d.txt", "--src-project", "staging"),
		"names project default, and the flag staging")
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
	spec := e.writeFile("staged.json", []byte(`{"pipeline": {"name": "staged", "project": {"name": "staging"}}, "transform": {"cmd": ["true"]},
	 "input": {"pfs": {"repo": "images", "glob": "/*"}}}`))
	wantContains(t, "a pipeline of another project", e.fail(1, "create", "pipeline", "-f", spec), "pipeline.project")
	e.run("delete", "repo", "images", "--project", "staging")
	e.run("delete", "project", "staging")
}

// unionSpec reads images of the default project and of project lab,
// each datum one file; it names its output after the file's content.
const unionSpec = `{
  "pipeline": {"name": "both"},
  "transform": {"cmd": ["sh", "-c", "for f in /pfs/images/*; do cp $f /pfs/out/$(tr ' ' _ < $f); done"]},
  "input": {"union": [{"pfs": {"repo": "images", "glob": "/*"}}, {"pfs": {"project": "lab", "repo": "images", "glob": "/*"}}]}
}`

// TestE2EInputsAcrossProjects: a pipeline reads a repo of another
// project: a union over images of the default project and images of lab,
// which hold the same path with different data, makes a datum of each;
// a commit to lab's images starts a job; list repo and list job show the
// projects.
func TestE2EInputsAcrossProjects(t *testing.T) {
	e := startServer(t, processRunner...)
	e.run("create", "project", "lab")
	e.run("create", "repo", "images")
	e.run("create", "repo", "images", "--project", "lab")
	e.runIn(strings.NewReader("from default"), "put", "file", "images@master:/a.txt")
	e.runIn(strings.NewReader("from lab"), "put", "file", "images@master:/a.txt", "--project", "lab")
	e.run("create", "pipeline", "-f", e.writeFile("both.json", []byte(unionSpec)))
	e.waitJobs(e.headJob("both"))
	out := e.run("list", "file", "both@master")
	wantContains(t, "the output of the union", out, "/from_default", "/from_lab")
	job := e.headJob("both")
	datums := lines[pachapi.DatumInfo](e, "list", "datum", "both@"+job, "-o", "json")
	if len(datums) != 2 || datums[0].Datum.ID == datums[1].Datum.ID {
		t.Errorf("the datums of the union: %+v, want two distinct", datums)
	}
	var projects []string
	for _, d := range datums {
		for _, f := range d.Data {
			projects = append(projects, f.File.Commit.Repo.Project.Name+"/"+f.File.Commit.Repo.Name+":"+f.File.Path)
		}
	}
	slices.Sort(projects)
	if want := []string{"default/images:/a.txt", "lab/images:/a.txt"}; !slices.Equal(projects, want) {
		t.Errorf("the inputs of the datums: %v, want %v", projects, want)
	}

	e.runIn(strings.NewReader("more from lab"), "put", "file", "images@master:/c.txt", "--project", "lab")
	next := e.headJob("both")
	if next == job {
		t.Fatalf("a commit to lab's images started no job of both")
	}
	e.waitJobs(next)
	wantContains(t, "the output after lab's commit", e.run("list", "file", "both@master"), "/from_default", "/from_lab", "/more_from_lab")
	wantLines(t, "list job -p both", e.run("list", "job", "-p", "both"), `^PROJECT\s+PIPELINE`, `^default\s+both\s+`+next)
	wantLines(t, "list repo -A", e.run("list", "repo", "-A"), `^default\s+both\s`, `^default\s+images\s`, `^lab\s+images\s`)
	wantContains(t, "delete lab's images, an input of both", e.fail(1, "delete", "repo", "images", "--project", "lab"), "is an input of")
}
