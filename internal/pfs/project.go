package pfs

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// CreateProject creates an empty project.
func (a *API) CreateProject(ctx context.Context, name, description string) (tusk.Project, error) {
	if err := tusk.ValidateProjectName(name); err != nil {
		return tusk.Project{}, err
	}
	p := tusk.Project{Name: name, Description: description, Created: now()}
	err := a.db.Update(ctx, func(tx *meta.Tx) error { return tx.CreateProject(ctx, p) })
	return p, err
}

// InspectProject returns a project.
func (a *API) InspectProject(ctx context.Context, name string) (tusk.Project, error) {
	var p tusk.Project
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		var err error
		p, err = tx.Project(ctx, name)
		return err
	})
	return p, err
}

// ListProjects lists the projects by name.
func (a *API) ListProjects(ctx context.Context) ([]tusk.Project, error) {
	var out []tusk.Project
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		var err error
		out, err = tx.Projects(ctx)
		return err
	})
	return out, err
}

// UpdateProject changes a project's description.
func (a *API) UpdateProject(ctx context.Context, name, description string) (tusk.Project, error) {
	var p tusk.Project
	err := a.db.Update(ctx, func(tx *meta.Tx) error {
		if err := tx.UpdateProjectDescription(ctx, name, description); err != nil {
			return err
		}
		var err error
		p, err = tx.Project(ctx, name)
		return err
	})
	return p, err
}

// DeleteProject deletes an empty project. A project that still holds
// repos or pipelines is refused, naming them: Pachyderm's force would
// leave them behind in a project that no longer exists, where nothing
// could reach them, so Tusk has the user delete them first. The default
// project cannot be deleted.
func (a *API) DeleteProject(ctx context.Context, name string) error {
	if name == tusk.DefaultProject {
		return tusk.Errorf(tusk.KindInvalid, "the %s project cannot be deleted", name).
			WithHint("delete its pipelines and repos instead")
	}
	return a.db.Update(ctx, func(tx *meta.Tx) error {
		if _, err := tx.Project(ctx, name); err != nil {
			return err
		}
		repos, pipelines, err := tx.ProjectContents(ctx, name)
		if err != nil {
			return err
		}
		var held []string
		if len(pipelines) > 0 {
			held = append(held, "pipelines "+strings.Join(pipelines, ", "))
		}
		if len(repos) > 0 {
			held = append(held, "repos "+strings.Join(repos, ", "))
		}
		if len(held) > 0 {
			return tusk.Errorf(tusk.KindConflict, "project %q still holds %s", name, strings.Join(held, "; ")).
				WithHint("delete them first: tusk delete pipeline NAME --project %s, then tusk delete repo NAME --project %s", name, name)
		}
		if err := tx.DeleteProject(ctx, name); err != nil {
			return fmt.Errorf("delete project %s: %w", name, err)
		}
		return nil
	})
}

// withProjectHint adds to a project's NotFound how to see the projects.
func withProjectHint(err error) error {
	var te *tusk.Error
	if errors.As(err, &te) && te.Kind == tusk.KindNotFound {
		return te.WithHint("list the projects with: tusk list project, or create it: tusk create project NAME")
	}
	return err
}
