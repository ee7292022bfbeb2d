package pfs

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// CreateBranch creates a branch or moves its head. head is a reference in
// the same repo ("master^", a commit ID, another branch); without one, a
// new branch starts at an empty commit and an existing branch keeps its
// head. provenance, when not nil, replaces the branch's upstream branches;
// trigger, when not nil, replaces the branch's trigger (see trigger.go).
// Moving a head propagates to downstream branches in the same transaction.
func (a *API) CreateBranch(ctx context.Context, project, repo, name, head string, provenance []tusk.BranchRef, trigger *tusk.Trigger) (tusk.Branch, error) {
	if err := tusk.ValidateBranchName(name); err != nil {
		return tusk.Branch{}, err
	}
	var evs []tusk.CommitEvent
	var out tusk.Branch
	err := a.db.Update(ctx, func(tx *meta.Tx) error {
		var err error
		out, evs, err = a.createBranch(ctx, tx, project, repo, name, head, provenance, trigger, newID())
		return err
	})
	if err != nil {
		return tusk.Branch{}, fmt.Errorf("create branch %s@%s: %w", repo, name, err)
	}
	a.publish(ctx, evs...)
	return out, nil
}

// createBranch is CreateBranch within tx, of a valid branch name; the
// commits it makes, and propagates, have the ID id.
func (a *API) createBranch(ctx context.Context, tx *meta.Tx, project, repo, name, head string, provenance []tusk.BranchRef, trigger *tusk.Trigger, id string) (tusk.Branch, []tusk.CommitEvent, error) {
	if _, err := tx.Repo(ctx, project, repo); err != nil {
		return tusk.Branch{}, nil, err
	}
	existing, err := tx.Branch(ctx, project, repo, name)
	exists := err == nil
	if err != nil && tusk.KindOf(err) != tusk.KindNotFound {
		return tusk.Branch{}, nil, err
	}
	if provenance != nil {
		if err := a.checkProvenance(ctx, tx, project, repo, name, provenance); err != nil {
			return tusk.Branch{}, nil, err
		}
		if err := tx.SetBranchProvenance(ctx, project, repo, name, provenance); err != nil {
			return tusk.Branch{}, nil, err
		}
	}
	if trigger != nil {
		if err := a.validateTrigger(ctx, tx, project, repo, name, trigger, provenance); err != nil {
			return tusk.Branch{}, nil, err
		}
		if err := tx.SetBranchTrigger(ctx, project, repo, name, trigger); err != nil {
			return tusk.Branch{}, nil, err
		}
	}
	var evs []tusk.CommitEvent
	t := now()
	switch {
	case head != "":
		ref, err := tusk.ParseRef(repo + "@" + head)
		if err != nil {
			return tusk.Branch{}, nil, err
		}
		ref.Project = project
		c, err := a.resolve(ctx, tx, ref)
		if err != nil {
			return tusk.Branch{}, nil, err
		}
		if exists && existing.Head == c.ID {
			break
		}
		if err := tx.PutBranch(ctx, project, repo, name, c.ID, t); err != nil {
			return tusk.Branch{}, nil, err
		}
		if evs, err = a.propagate(ctx, tx, project, repo, name, id, t); err != nil {
			return tusk.Branch{}, nil, err
		}
	case !exists:
		c := meta.CommitRow{Commit: tusk.Commit{Project: project, Repo: repo, ID: id, Branch: name, Origin: tusk.OriginUser,
			State: tusk.CommitFinished, Started: t, Finished: &t}}
		if err := tx.InsertCommit(ctx, project, c); err != nil {
			return tusk.Branch{}, nil, err
		}
		if err := tx.PutBranch(ctx, project, repo, name, c.ID, t); err != nil {
			return tusk.Branch{}, nil, err
		}
		evs = append(evs, tusk.CommitEvent{Type: "finished", Commit: c.Commit})
		more, err := a.propagate(ctx, tx, project, repo, name, c.ID, t)
		if err != nil {
			return tusk.Branch{}, nil, err
		}
		evs = append(evs, more...)
	}
	out, err := tx.Branch(ctx, project, repo, name)
	return out, evs, err
}

// checkProvenance refuses provenance within one repo and cycles.
func (a *API) checkProvenance(ctx context.Context, tx *meta.Tx, project, repo, name string, prov []tusk.BranchRef) error {
	self := tusk.BranchRef{Project: project, Repo: repo, Branch: name}
	for _, p := range prov {
		if p = p.In(project); p.Project == project && p.Repo == repo {
			return tusk.Errorf(tusk.KindInvalid, "branch %s cannot have provenance in its own repo (%s)", self.From(project), p.From(project))
		}
		if _, err := tx.Branch(ctx, p.Project, p.Repo, p.Branch); err != nil {
			return err
		}
		up, err := a.upstream(ctx, tx, p)
		if err != nil {
			return err
		}
		if slices.Contains(up, self) {
			return tusk.Errorf(tusk.KindInvalid, "provenance %s -> %s would form a cycle", p.From(project), self.From(project))
		}
	}
	return nil
}

// upstream returns b and all branches it transitively depends on, each
// with its Project.
func (a *API) upstream(ctx context.Context, tx *meta.Tx, b tusk.BranchRef) ([]tusk.BranchRef, error) {
	seen := []tusk.BranchRef{b}
	for i := 0; i < len(seen); i++ {
		br, err := tx.Branch(ctx, seen[i].Project, seen[i].Repo, seen[i].Branch)
		if err != nil {
			return nil, err
		}
		for _, p := range br.Provenance {
			if p = p.In(br.Project); !slices.Contains(seen, p) {
				seen = append(seen, p)
			}
		}
	}
	return seen, nil
}

// downstream returns the branches that transitively depend on b (which
// names its Project), each after all of its own upstreams among them
// (topological order).
func (a *API) downstream(ctx context.Context, tx *meta.Tx, b tusk.BranchRef) ([]tusk.Branch, error) {
	var order []tusk.Branch
	state := map[tusk.BranchRef]int{} // 1 visiting, 2 done
	var visit func(r tusk.BranchRef) error
	visit = func(r tusk.BranchRef) error {
		if state[r] != 0 {
			return nil
		}
		state[r] = 1
		br, err := tx.Branch(ctx, r.Project, r.Repo, r.Branch)
		if err != nil {
			return err
		}
		for _, s := range br.Subvenance {
			if err := visit(s.In(r.Project)); err != nil {
				return err
			}
		}
		state[r] = 2
		order = append(order, br)
		return nil
	}
	if err := visit(b); err != nil {
		return nil, err
	}
	slices.Reverse(order)
	return order[1:], nil // order[0] is b itself
}

// propagate gives every branch downstream of repo@branch a new commit in
// the commit set id, whose parent is that branch's head and whose
// provenance is the heads of its upstream branches. The new commits are
// open: whatever computes them (a pipeline) finishes them. A downstream
// branch whose head is already in the set (a batch that changed another
// of its inputs before) keeps that commit, with its provenance brought up
// to date: one commit, and one job, sees every change of the set.
func (a *API) propagate(ctx context.Context, tx *meta.Tx, project, repo, branch, id string, t time.Time) ([]tusk.CommitEvent, error) {
	down, err := a.downstream(ctx, tx, tusk.BranchRef{Project: project, Repo: repo, Branch: branch})
	if err != nil {
		return nil, err
	}
	var evs []tusk.CommitEvent
	for _, d := range down {
		fresh := d.Head != id
		if fresh {
			c := meta.CommitRow{Commit: tusk.Commit{Project: d.Project, Repo: d.Repo, ID: id, Branch: d.Name, Parent: d.Head,
				Origin: tusk.OriginAuto, State: tusk.CommitStarted, Started: t}}
			if d.Head != "" {
				parent, err := tx.Commit(ctx, d.Project, d.Repo, d.Head)
				if err != nil {
					return nil, err
				}
				c.Root, c.SizeBytes, c.Files = parent.Root, parent.SizeBytes, parent.Files
			}
			if err := tx.InsertCommit(ctx, d.Project, c); err != nil {
				return nil, err
			}
			evs = append(evs, tusk.CommitEvent{Type: "started", Commit: c.Commit})
		} else if err := tx.ClearCommitProvenance(ctx, d.Project, d.Repo, id); err != nil {
			return nil, err
		}
		if err := addHeadsProvenance(ctx, tx, d.Project, d.Repo, id, d.Provenance); err != nil {
			return nil, err
		}
		if fresh {
			if err := tx.PutBranch(ctx, d.Project, d.Repo, d.Name, id, d.Created); err != nil {
				return nil, err
			}
		}
	}
	return evs, nil
}

// InspectBranch returns a branch.
func (a *API) InspectBranch(ctx context.Context, project, repo, name string) (tusk.Branch, error) {
	var b tusk.Branch
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		if _, err := tx.Repo(ctx, project, repo); err != nil {
			return err
		}
		var err error
		b, err = tx.Branch(ctx, project, repo, name)
		return err
	})
	return b, err
}

// ListBranches returns a repo's branches.
func (a *API) ListBranches(ctx context.Context, project, repo string) ([]tusk.Branch, error) {
	var out []tusk.Branch
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		if _, err := tx.Repo(ctx, project, repo); err != nil {
			return err
		}
		var err error
		out, err = tx.Branches(ctx, project, repo)
		return err
	})
	return out, err
}

// DeleteBranch deletes a branch; its commits stay reachable by ID. A
// branch that others depend on is only deleted with force.
func (a *API) DeleteBranch(ctx context.Context, project, repo, name string, force bool) error {
	err := a.db.Update(ctx, func(tx *meta.Tx) error { return a.deleteBranch(ctx, tx, project, repo, name, force) })
	if err != nil {
		return fmt.Errorf("delete branch %s@%s: %w", repo, name, err)
	}
	return nil
}

// deleteBranch is DeleteBranch within tx.
func (a *API) deleteBranch(ctx context.Context, tx *meta.Tx, project, repo, name string, force bool) error {
	b, err := tx.Branch(ctx, project, repo, name)
	if err != nil {
		return err
	}
	if len(b.Subvenance) > 0 && !force {
		return tusk.Errorf(tusk.KindConflict, "branch %s@%s is upstream of %v", repo, name, b.Subvenance).
			WithHint("delete those first, or use --force")
	}
	self := tusk.BranchRef{Project: project, Repo: repo, Branch: name}
	for _, s := range b.Subvenance {
		s = s.In(project)
		sb, err := tx.Branch(ctx, s.Project, s.Repo, s.Branch)
		if err != nil {
			return err
		}
		keep := slices.DeleteFunc(sb.Provenance, func(p tusk.BranchRef) bool { return p.In(s.Project) == self })
		if err := tx.SetBranchProvenance(ctx, s.Project, s.Repo, s.Branch, keep); err != nil {
			return err
		}
	}
	return tx.DeleteBranch(ctx, project, repo, name)
}

// addHeadsProvenance gives the commit id of project's repo the heads of
// the branches prov (relative to project) as its provenance; a branch
// with no head yet adds none.
func addHeadsProvenance(ctx context.Context, tx *meta.Tx, project, repo, id string, prov []tusk.BranchRef) error {
	for _, p := range prov {
		p = p.In(project)
		pb, err := tx.Branch(ctx, p.Project, p.Repo, p.Branch)
		if err != nil {
			return err
		}
		if pb.Head == "" {
			continue
		}
		if err := tx.AddCommitProvenance(ctx, project, repo, id, tusk.CommitRef{Project: p.Project, Repo: p.Repo, Branch: p.Branch, ID: pb.Head}); err != nil {
			return err
		}
	}
	return nil
}
