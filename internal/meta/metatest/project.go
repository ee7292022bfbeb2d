package metatest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// testProjects: the default project is always there; projects are
// created, listed by name, described and deleted, and a missing one is a
// NotFound of a project.
func testProjects(t *testing.T, db *meta.DB) {
	ctx := t.Context()
	staging := tusk.Project{Name: "staging", Description: "before release", Created: t0}
	audit := tusk.Project{Name: "audit", Created: at(time.Minute)}
	err := db.Update(ctx, func(tx *meta.Tx) error {
		for _, p := range []tusk.Project{staging, audit} {
			if err := tx.CreateProject(ctx, p); err != nil {
				return err
			}
		}
		return tx.UpdateProjectDescription(ctx, "audit", "checks")
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx *meta.Tx) error { return tx.CreateProject(ctx, staging) })
	if !errors.Is(err, tusk.ErrExists) {
		t.Errorf("creating project staging again: %v, want exists", err)
	}
	audit.Description = "checks"
	err = db.View(ctx, func(tx *meta.Tx) error {
		all, err := tx.Projects(ctx)
		if err != nil {
			return err
		}
		if len(all) != 3 || all[1].Name != tusk.DefaultProject {
			t.Fatalf("projects %+v, want audit, default and staging", all)
		}
		if diff := cmp.Diff([]tusk.Project{audit, staging}, []tusk.Project{all[0], all[2]}); diff != "" {
			t.Errorf("projects (-want +got):\n%s", diff)
		}
		got, err := tx.Project(ctx, "staging")
		if err != nil {
			return err
		}
		if diff := cmp.Diff(staging, got); diff != "" {
			t.Errorf("project staging (-want +got):\n%s", diff)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx *meta.Tx) error {
		if err := tx.CreateRepo(ctx, tusk.Repo{Project: "staging", Name: "images", Type: "user", Created: t0}); err != nil {
			return err
		}
		if err := tx.PutPipeline(ctx, "staging", "edges", []byte(`{}`)); err != nil {
			return err
		}
		repos, pipelines, err := tx.ProjectContents(ctx, "staging")
		if err != nil {
			return err
		}
		if diff := cmp.Diff([][]string{{"images"}, {"edges"}}, [][]string{repos, pipelines}); diff != "" {
			t.Errorf("the contents of project staging (-want +got):\n%s", diff)
		}
		if repos, pipelines, err := tx.ProjectContents(ctx, "audit"); err != nil || repos != nil || pipelines != nil {
			t.Errorf("the contents of project audit: %v, %v, %v; want none", repos, pipelines, err)
		}
		return tx.DeleteProject(ctx, "staging")
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx *meta.Tx) error {
		var nf *meta.NotFound
		if _, err := tx.Project(ctx, "staging"); !errors.As(err, &nf) || nf.What != meta.MissingProject {
			t.Errorf("reading a deleted project: %v, want a NotFound of a project", err)
		}
		if err := tx.DeleteProject(ctx, "staging"); !errors.Is(err, tusk.ErrNotFound) {
			t.Errorf("deleting a deleted project: %v, want not found", err)
		}
		if err := tx.UpdateProjectDescription(ctx, "staging", "x"); !errors.Is(err, tusk.ErrNotFound) {
			t.Errorf("describing a deleted project: %v, want not found", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testProvenanceAcrossProjects: a repo name is taken once per project;
// provenance and subvenance name the project of a branch or commit in
// another one (and leave it out within one); a commit set spans
// projects; deleting a repo leaves its namesake in another project.
func testProvenanceAcrossProjects(t *testing.T, db *meta.DB) {
	ctx := t.Context()
	inA := func(c meta.CommitRow) meta.CommitRow { c.Project = "a"; return c }
	update(t, db, func(tx *meta.Tx) error {
		errs := []error{tx.CreateProject(ctx, tusk.Project{Name: "a", Created: t0})}
		for _, r := range []tusk.Repo{{Project: "a", Name: "images"}, {Project: project, Name: "images"}, {Project: project, Name: "edges"}} {
			r.Type, r.Created = "user", t0
			errs = append(errs, tx.CreateRepo(ctx, r))
		}
		return errors.Join(append(errs,
			tx.InsertCommit(ctx, "a", inA(newCommit("images", "s1", "", t0))),
			tx.InsertCommit(ctx, project, newCommit("images", "s2", "", t0)),
			tx.InsertCommit(ctx, project, newCommit("edges", "s1", "", at(1))),
			tx.PutBranch(ctx, "a", "images", "master", "s1", t0),
			tx.PutBranch(ctx, project, "images", "master", "s2", t0),
			tx.PutBranch(ctx, project, "edges", "master", "s1", t0),
			tx.SetBranchProvenance(ctx, project, "edges", "master", []tusk.BranchRef{
				{Project: "a", Repo: "images", Branch: "master"}, {Repo: "images", Branch: "master"}}),
			tx.AddCommitProvenance(ctx, project, "edges", "s1", tusk.CommitRef{Project: "a", Repo: "images", Branch: "master", ID: "s1"}),
			tx.AddCommitProvenance(ctx, project, "edges", "s1", tusk.CommitRef{Project: project, Repo: "images", Branch: "master", ID: "s2"}),
		)...)
	})
	err := db.Update(ctx, func(tx *meta.Tx) error {
		return tx.CreateRepo(ctx, tusk.Repo{Project: "a", Name: "images", Type: "user", Created: t0})
	})
	wantKind(t, err, tusk.KindExists, false)
	view(t, db, func(tx *meta.Tx) error {
		edges, err1 := tx.Branch(ctx, project, "edges", "master")
		upA, err2 := tx.Branch(ctx, "a", "images", "master")
		up, err3 := tx.Branch(ctx, project, "images", "master")
		prov, err4 := tx.CommitProvenance(ctx, project, "edges", "s1")
		set, err5 := tx.CommitSet(ctx, "s1")
		if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
			return err
		}
		diff(t, "provenance of edges@master", []tusk.BranchRef{
			{Project: "a", Repo: "images", Branch: "master"}, {Repo: "images", Branch: "master"}}, edges.Provenance)
		diff(t, "subvenance of a's images@master", []tusk.BranchRef{{Project: project, Repo: "edges", Branch: "master"}}, upA.Subvenance)
		diff(t, "subvenance of images@master", []tusk.BranchRef{{Repo: "edges", Branch: "master"}}, up.Subvenance)
		diff(t, "provenance of edges@s1", []tusk.CommitRef{
			{Project: "a", Repo: "images", Branch: "master", ID: "s1"}, {Repo: "images", Branch: "master", ID: "s2"}}, prov)
		diff(t, "commit set s1", []meta.CommitRow{inA(newCommit("images", "s1", "", t0)), newCommit("edges", "s1", "", at(1))}, set)
		return nil
	})
	update(t, db, func(tx *meta.Tx) error { return tx.DeleteRepo(ctx, "a", "images") })
	view(t, db, func(tx *meta.Tx) error {
		_, err := tx.Repo(ctx, "a", "images")
		wantKind(t, err, tusk.KindNotFound, true)
		if _, err := tx.Repo(ctx, project, "images"); err != nil {
			return err
		}
		c, err := tx.Commit(ctx, project, "images", "s2")
		diff(t, "the commit of images in the default project", newCommit("images", "s2", "", t0), c)
		return err
	})
}
