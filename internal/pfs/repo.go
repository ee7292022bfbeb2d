package pfs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// CreateRepo creates an empty repo. It has no branches until the first
// write (or create branch).
func (a *API) CreateRepo(ctx context.Context, project, name, description string) (tusk.Repo, error) {
	return a.createRepo(ctx, project, name, "user", description)
}

func (a *API) createRepo(ctx context.Context, project, name, typ, description string) (tusk.Repo, error) {
	var r tusk.Repo
	err := a.db.Update(ctx, func(tx *meta.Tx) error {
		var err error
		r, err = insertRepo(ctx, tx, project, name, typ, description)
		return err
	})
	return r, err
}

// insertRepo stores a new repo of an existing project within tx.
func insertRepo(ctx context.Context, tx *meta.Tx, project, name, typ, description string) (tusk.Repo, error) {
	if err := tusk.ValidateRepoName(name); err != nil {
		return tusk.Repo{}, err
	}
	if _, err := tx.Project(ctx, project); err != nil {
		return tusk.Repo{}, fmt.Errorf("create repo %s: %w", name, withProjectHint(err))
	}
	r := tusk.Repo{Project: project, Name: name, Type: typ, Description: description, Created: now()}
	if err := tx.CreateRepo(ctx, r); err != nil {
		return tusk.Repo{}, fmt.Errorf("create repo %s: %w", name, err)
	}
	return r, nil
}

// UpdateRepo changes a repo's description.
func (a *API) UpdateRepo(ctx context.Context, project, name, description string) error {
	return a.db.Update(ctx, func(tx *meta.Tx) error {
		if _, err := tx.Repo(ctx, project, name); err != nil {
			return err
		}
		return tx.UpdateRepoDescription(ctx, project, name, description)
	})
}

// InspectRepo returns a repo with its branches and the size of its master
// branch head (or of its only branch).
func (a *API) InspectRepo(ctx context.Context, project, name string) (tusk.Repo, error) {
	var r tusk.Repo
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		var err error
		r, err = a.fillRepo(ctx, tx, project, name)
		return err
	})
	return r, err
}

func (a *API) fillRepo(ctx context.Context, tx *meta.Tx, project, name string) (tusk.Repo, error) {
	r, err := tx.Repo(ctx, project, name)
	if err != nil {
		return r, err
	}
	bs, err := tx.Branches(ctx, project, name)
	if err != nil {
		return r, err
	}
	sizeFrom := ""
	for _, b := range bs {
		r.Branches = append(r.Branches, b.Name)
		if b.Name == "master" || len(bs) == 1 {
			sizeFrom = b.Head
		}
	}
	if sizeFrom != "" {
		c, err := tx.Commit(ctx, project, name, sizeFrom)
		if err != nil {
			return r, err
		}
		r.SizeBytes = c.SizeBytes
	}
	return r, nil
}

// ListRepos returns the repos of a project by name, or, for an empty
// project, those of every project, by project and name.
func (a *API) ListRepos(ctx context.Context, project string) ([]tusk.Repo, error) {
	var out []tusk.Repo
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		projects := []string{project}
		if project == "" {
			ps, err := tx.Projects(ctx)
			if err != nil {
				return err
			}
			projects = projects[:0]
			for _, p := range ps {
				projects = append(projects, p.Name)
			}
		} else if _, err := tx.Project(ctx, project); err != nil {
			return withProjectHint(err)
		}
		for _, p := range projects {
			rs, err := tx.Repos(ctx, p)
			if err != nil {
				return err
			}
			for _, r := range rs {
				full, err := a.fillRepo(ctx, tx, p, r.Name)
				if err != nil {
					return err
				}
				out = append(out, full)
			}
		}
		return nil
	})
	return out, err
}

// DeleteRepo deletes a repo with all its commits. A repo whose branches
// feed other branches (provenance) is only deleted with force. Its data
// is freed by the next garbage collection.
func (a *API) DeleteRepo(ctx context.Context, project, name string, force bool) error {
	err := a.db.Update(ctx, func(tx *meta.Tx) error {
		if _, err := tx.Repo(ctx, project, name); err != nil {
			var te *tusk.Error
			if errors.As(err, &te) && te.Kind == tusk.KindNotFound {
				return te.WithHint("list the repos with: tusk list repo")
			}
			return err
		}
		bs, err := tx.Branches(ctx, project, name)
		if err != nil {
			return err
		}
		self := func(r tusk.BranchRef) bool { return r.Project == project && r.Repo == name }
		var users []tusk.BranchRef
		for _, b := range bs {
			for _, s := range b.Subvenance {
				if s = s.In(project); !self(s) && !slices.Contains(users, s) {
					users = append(users, s)
				}
			}
		}
		if len(users) > 0 && !force {
			slices.SortFunc(users, func(x, y tusk.BranchRef) int { return strings.Compare(x.String(), y.String()) })
			return tusk.Errorf(tusk.KindConflict, "repo %q is an input of %v", name, users).
				WithHint("delete those pipelines or branches first, or use --force")
		}
		for _, u := range users {
			b, err := tx.Branch(ctx, u.Project, u.Repo, u.Branch)
			if err != nil {
				return err
			}
			keep := slices.DeleteFunc(b.Provenance, func(p tusk.BranchRef) bool { return self(p.In(u.Project)) })
			if err := tx.SetBranchProvenance(ctx, u.Project, u.Repo, u.Branch, keep); err != nil {
				return err
			}
		}
		return tx.DeleteRepo(ctx, project, name)
	})
	if err != nil {
		return fmt.Errorf("delete repo %s: %w", name, err)
	}
	return nil
}
