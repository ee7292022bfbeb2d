package pfs

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tuskdata/tusk/internal/tusk"
)

// TestReposOfProjects: a repo name is taken once per project, and each
// project's repo has its own data; a branch of one project takes
// provenance in another, and a commit upstream propagates across, into
// one commit set; deleting the upstream repo is refused while the other
// project reads it, and a project that holds repos is not deleted.
func TestReposOfProjects(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	if _, err := a.CreateRepo(ctx, "lab", "images", ""); !errors.Is(err, tusk.ErrNotFound) {
		t.Fatalf("a repo of a missing project: %v, want not found", err)
	}
	if _, err := a.CreateProject(ctx, "lab", ""); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"lab", tusk.DefaultProject} {
		if _, err := a.CreateRepo(ctx, p, "images", ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.CreateRepo(ctx, "lab", "images", ""); !errors.Is(err, tusk.ErrExists) {
		t.Errorf("lab/images again: %v, want exists", err)
	}
	put(t, a, "lab/images@master", "/a.png", "lab")
	put(t, a, "images@master", "/a.png", "default")
	if got := read(t, a, "lab/images@master:/a.png") + " " + read(t, a, "images@master:/a.png"); got != "lab default" {
		t.Errorf("the two images repos hold %q, want lab default", got)
	}

	if _, err := a.CreateRepo(ctx, tusk.DefaultProject, "edges", ""); err != nil {
		t.Fatal(err)
	}
	labImages := tusk.BranchRef{Project: "lab", Repo: "images", Branch: "master"}
	b, err := a.CreateBranch(ctx, tusk.DefaultProject, "edges", "master", "", []tusk.BranchRef{labImages, {Repo: "images", Branch: "master"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []tusk.BranchRef{{Repo: "images", Branch: "master"}, labImages}; !cmp.Equal(b.Provenance, want) {
		t.Errorf("provenance of edges@master = %v, want %v", b.Provenance, want)
	}
	up, err := a.InspectBranch(ctx, "lab", "images", "master")
	if err != nil {
		t.Fatal(err)
	}
	if want := []tusk.BranchRef{{Project: tusk.DefaultProject, Repo: "edges", Branch: "master"}}; !cmp.Equal(up.Subvenance, want) {
		t.Errorf("subvenance of lab/images@master = %v, want %v", up.Subvenance, want)
	}

	c := put(t, a, "lab/images@master", "/b.png", "lab")
	set, err := a.CommitSet(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range set {
		got = append(got, s.Project+"/"+s.Repo)
	}
	if want := []string{"default/edges", "lab/images"}; !cmp.Equal(got, want) {
		t.Fatalf("commit set of a put to lab/images = %v, want %v", got, want)
	}
	if prov := set[0].Provenance; !slices.ContainsFunc(prov, func(p tusk.CommitRef) bool { return p.Project == "lab" && p.ID == c.ID }) {
		t.Errorf("provenance of the edges commit = %v, want lab/images@%s in it", prov, c.ID)
	}

	all, err := a.ListRepos(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, r := range all {
		got = append(got, r.Project+"/"+r.Name)
	}
	if want := []string{"default/edges", "default/images", "lab/images"}; !cmp.Equal(got, want) {
		t.Errorf("the repos of every project = %v, want %v", got, want)
	}
	lab, err := a.ListRepos(ctx, "lab")
	if err != nil || len(lab) != 1 || lab[0].Name != "images" || lab[0].Project != "lab" {
		t.Errorf("the repos of lab = %+v, %v; want images", lab, err)
	}

	if err := a.DeleteRepo(ctx, "lab", "images", false); !errors.Is(err, tusk.ErrConflict) {
		t.Errorf("delete lab/images, an input of edges: %v, want conflict", err)
	}
	if err := a.DeleteProject(ctx, "lab"); !errors.Is(err, tusk.ErrConflict) {
		t.Errorf("delete project lab, which holds images: %v, want conflict", err)
	}
	if err := a.DeleteRepo(ctx, "lab", "images", true); err != nil {
		t.Fatal(err)
	}
	edges, err := a.InspectBranch(ctx, tusk.DefaultProject, "edges", "master")
	if err != nil {
		t.Fatal(err)
	}
	if want := []tusk.BranchRef{{Repo: "images", Branch: "master"}}; !cmp.Equal(edges.Provenance, want) {
		t.Errorf("provenance of edges@master once lab/images is gone = %v, want %v", edges.Provenance, want)
	}
	if got := read(t, a, "images@master:/a.png"); got != "default" {
		t.Errorf("images of the default project after lab's is deleted: %q", got)
	}
	if err := a.DeleteProject(ctx, "lab"); err != nil {
		t.Errorf("delete the emptied project lab: %v", err)
	}
}
