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
