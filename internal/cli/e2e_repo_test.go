package cli

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tuskdata/tusk/internal/pachapi"
	"github.com/tuskdata/tusk/internal/tusktest"
)

func TestE2ERepo(t *testing.T) {
	e := startServer(t)
	e.run("create", "repo", "imgs", "-d", "raw images")
	e.run("create", "repo", "other")

	out := e.run("list", "repo")
	wantContains(t, "list repo", out, "PROJECT", "NAME", "CREATED", "SIZE (MASTER)", "DESCRIPTION", "imgs", "raw images", "other", "ago")
	var names []string
	for _, r := range lines[pachapi.RepoInfo](e, "list", "repo") {
		names = append(names, r.Repo.Name)
	}
	if diff := cmp.Diff([]string{"imgs", "other"}, names); diff != "" {
		t.Errorf("list repo -o json names (-want +got):\n%s", diff)
	}
	// pachctl's plurals, and its --no-pager (tusk never pages). The
	// tables' ages may differ by a second; their JSON may not.
	if plural := e.run("list", "repos", "--no-pager", "-o", "json"); plural != e.run("list", "repo", "-o", "json") {
		t.Errorf("list repos --no-pager -o json printed\n%s\nwant what list repo -o json prints", plural)
	}
	wantContains(t, "list repos", e.run("list", "repos"), "NAME", "imgs", "other")
	wantContains(t, "list branches", e.run("list", "branches", "imgs"), "BRANCH", "HEAD")

	r := object[pachapi.RepoInfo](e, "inspect", "repo", "imgs")
	if r.Repo.Name != "imgs" || r.Description != "raw images" || r.Repo.Type != "user" || r.Repo.Project.Name != "default" {
		t.Errorf("inspect repo imgs -o json = %+v", r)
	}
	wantContains(t, "inspect repo", e.run("inspect", "repo", "imgs"), "Name:", "imgs", "Description:", "raw images", "Size of HEAD on master:")

	e.run("update", "repo", "imgs", "-d", "camera images")
	if r := object[pachapi.RepoInfo](e, "inspect", "repo", "imgs"); r.Description != "camera images" {
		t.Errorf("after update repo: description %q", r.Description)
	}

	e.run("delete", "repo", "other")
	if rs := lines[pachapi.RepoInfo](e, "list", "repo"); len(rs) != 1 || rs[0].Repo.Name != "imgs" {
		t.Errorf("after delete repo other: %+v", rs)
	}

	stderr := e.fail(1, "delete", "repo", "missing")
	wantContains(t, "delete missing repo", stderr, "error: ", `repo "missing" not found`, "\n  list the repos with: tusk list repo\n")
	stderr = e.fail(1, "create", "repo", "imgs")
	wantContains(t, "create existing repo", stderr, "error: ", "imgs")
	stderr = e.fail(1, "create", "repo", "bad name")
	wantContains(t, "create bad repo name", stderr, "invalid repo name")

	stderr = e.fail(2, "create", "repo")
	wantContains(t, "create repo without a name", stderr, "error: ", "Try: tusk create repo --help")
	stderr = e.fail(2, "create", "frog")
	wantContains(t, "unknown noun", stderr, `unknown noun "frog"`, "branch, defaults, pipeline, project, repo")
	wantContains(t, "list repo -o yaml", e.run("list", "repo", "-o", "yaml"), "---\n", "name: imgs\n", "type: user\n")
	wantContains(t, "inspect repo -o yaml", e.run("inspect", "repo", "imgs", "-o", "yaml"), "name: imgs\n", "description: camera images\n")
	if raw, js := e.run("inspect", "repo", "imgs", "--raw"), e.run("inspect", "repo", "imgs", "-o", "json"); raw != js {
		t.Errorf("--raw printed\n%s\nwant what -o json prints:\n%s", raw, js)
	}
	if raw, y := e.run("inspect", "repo", "imgs", "-o", "yaml", "--raw"), e.run("inspect", "repo", "imgs", "-o", "yaml"); raw != y {
		t.Errorf("-o yaml --raw printed\n%s\nwant YAML, as pachctl does:\n%s", raw, y)
	}
	stderr = e.fail(2, "list", "repo", "-o", "xml")
	wantContains(t, "bad -o", stderr, `unknown output format "xml"`, "json or yaml")
}

func TestE2EBranch(t *testing.T) {
	e := startServer(t)
	e.run("create", "repo", "imgs")
	e.run("create", "repo", "edges")
	for _, s := range []string{"one", "two", "three"} {
		e.runIn(strings.NewReader(s), "put", "file", "imgs@master:/f", "-a")
	}
	head := object[pachapi.CommitInfo](e, "inspect", "commit", "imgs@master")
	parent := object[pachapi.CommitInfo](e, "inspect", "commit", "imgs@master^").Commit.ID
	if head.ParentCommit == nil || head.ParentCommit.ID != parent {
		t.Fatalf("master^ = %s, want master's parent %+v", parent, head.ParentCommit)
	}

	e.run("create", "branch", "imgs@old", "--head", "master^")
	if b := object[pachapi.BranchInfo](e, "inspect", "branch", "imgs@old"); b.Head == nil || b.Head.ID != parent {
		t.Errorf("imgs@old head = %+v, want %s (master^)", b.Head, parent)
	}
	if got := e.run("get", "file", "imgs@old:/f"); got != "onetwo" {
		t.Errorf("get file imgs@old:/f = %q, want %q", got, "onetwo")
	}
	e.run("create", "branch", "imgs@empty")
	if c := object[pachapi.CommitInfo](e, "inspect", "commit", "imgs@empty"); c.Finished.IsZero() || c.Details.SizeBytes != 0 {
		t.Errorf("a new branch starts at an empty finished commit; got %+v", c)
	}

	out := e.run("list", "branch", "imgs")
	wantContains(t, "list branch", out, "BRANCH", "HEAD", "master", "old", "empty", head.Commit.ID, parent)
	if bs := lines[pachapi.BranchInfo](e, "list", "branch", "imgs"); len(bs) != 3 {
		t.Errorf("list branch -o json: %d branches, want 3", len(bs))
	}

	e.run("create", "branch", "edges@master", "-p", "imgs@master")
	b := object[pachapi.BranchInfo](e, "inspect", "branch", "edges@master")
	if diff := cmp.Diff([]pachapi.Branch{{Repo: pachapi.RepoOf("imgs"), Name: "master"}}, b.DirectProvenance); diff != "" {
		t.Errorf("edges@master provenance (-want +got):\n%s", diff)
	}
	wantContains(t, "inspect branch", e.run("inspect", "branch", "imgs@master"), "Subvenance:", "edges@master")

	stderr := e.fail(1, "delete", "branch", "imgs@master")
	wantContains(t, "delete upstream branch", stderr, "upstream of", "--force")
	e.run("delete", "branch", "imgs@master", "-f")
	e.run("delete", "branch", "imgs@old")
	if bs := lines[pachapi.BranchInfo](e, "list", "branch", "imgs"); len(bs) != 1 || bs[0].Branch.Name != "empty" {
		t.Errorf("after deletes: branches %+v", bs)
	}
	e.fail(2, "create", "branch", "imgs")
}

func TestE2EConfigAndVersion(t *testing.T) {
	e := startServer(t)
	out := e.run("version")
	wantContains(t, "version", out, "COMPONENT", "tusk", "server", "api v1")
	wantContains(t, "completion bash", e.run("completion", "bash"), "bash completion", "__tusk")
	// As pachctl's --raw: the client's version, then the server's.
	dec := json.NewDecoder(strings.NewReader(e.run("version", "-o", "json")))
	var cv, sv pachapi.Version
	if err := dec.Decode(&cv); err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(&sv); err != nil || cv != sv || cv == (pachapi.Version{}) {
		t.Errorf("version -o json: client %+v, server %+v (%v), want the same version twice", cv, sv, err)
	}

	// Without TUSK_ADDRESS the active context decides.
	e.run("config", "set", "context", "local", "--address", e.addr)
	e.run("config", "set", "context", "far", "--address", "127.0.0.1:1")
	e.run("config", "set", "active-context", "local")
	if got := e.run("config", "get", "active-context"); got != "local\n" {
		t.Errorf("config get active-context = %q", got)
	}
	wantContains(t, "config list context", e.run("config", "list", "context"), "ACTIVE", "*", "local", e.addr, "far")
	e.fail(1, "config", "set", "active-context", "nowhere")

	var env []string
	for _, kv := range e.env {
		if !strings.HasPrefix(kv, "TUSK_ADDRESS=") {
			env = append(env, kv)
		}
	}
	e.env = env
	e.run("create", "repo", "viacontext")
	e.run("config", "set", "active-context", "far")
	stderr := e.fail(1, "list", "repo")
	wantContains(t, "unreachable server", stderr, "cannot reach the tusk server at http://127.0.0.1:1", "\n  start one with `tusk up`")
	_, stderr, code := e.exec(nil, "version")
	if code != 0 || !strings.Contains(stderr, "warning: no server version") {
		t.Errorf("version without a server: exit %d, stderr %q", code, stderr)
	}
	e.run("config", "delete", "context", "far")
	e.fail(1, "config", "get", "active-context")
	e.run("config", "set", "active-context", "local")
	wantContains(t, "list repo via context", e.run("list", "repo"), "viacontext")
}

func TestE2EUpRefusesNonLoopback(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	// Beyond loopback, authentication must be on: turn it off on loopback
	// first.
	dir := t.TempDir()
	u := tusktest.StartUpOn(t, tuskBin, dir)
	home := t.TempDir()
	e := &e2e{t: t, dir: t.TempDir(), env: append(os.Environ(), "HOME="+home, "TUSK_CONFIG="+u.Config)}
	e.run("auth", "deactivate", "--yes-i-understand")
	u.Stop()
	stderr := e.fail(1, "up", "--data-dir", dir, "--listen", "0.0.0.0:0")
	wantContains(t, "up on 0.0.0.0", stderr, "refusing to listen on 0.0.0.0:0", "authentication is deactivated", "pipelines run arbitrary code",
		"tusk auth activate", "--insecure")
}
