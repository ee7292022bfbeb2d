package pfs

import (
	"context"
	"fmt"
	"slices"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// targets returns the commits a delete or squash acts on: the commit a
// reference names plus the commits of its set downstream of it, or, for a
// bare ID, the whole commit set.
func (a *API) targets(ctx context.Context, tx *meta.Tx, ref *tusk.Ref, id string) ([]meta.CommitRow, error) {
	if ref == nil {
		rows, err := tx.CommitSet(ctx, id)
		if err == nil && len(rows) == 0 {
			err = tusk.Errorf(tusk.KindNotFound, "commit set %s not found", id)
		}
		return rows, err
	}
	c, err := a.resolve(ctx, tx, *ref)
	if err != nil {
		return nil, err
	}
	out := []meta.CommitRow{c}
	set, err := tx.CommitSet(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	// Downstream members: those whose provenance chain leads to c.
	type repo struct{ project, name string }
	in := map[repo]bool{{c.Project, c.Repo}: true}
	for changed := true; changed; {
		changed = false
		for _, s := range set {
			if in[repo{s.Project, s.Repo}] {
				continue
			}
			prov, err := tx.CommitProvenance(ctx, s.Project, s.Repo, s.ID)
			if err != nil {
				return nil, err
			}
			if slices.ContainsFunc(prov, func(p tusk.CommitRef) bool { return p.ID == c.ID && in[repo{p.In(s.Project).Project, p.Repo}] }) {
				in[repo{s.Project, s.Repo}] = true
				out = append(out, s)
				changed = true
			}
		}
	}
	return out, nil
}

// headsAt returns the branches of project's repo whose head is id.
func headsAt(ctx context.Context, tx *meta.Tx, project, repo, id string) ([]tusk.Branch, error) {
	bs, err := tx.Branches(ctx, project, repo)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(bs, func(b tusk.Branch) bool { return b.Head != id }), nil
}

// DeleteCommit drops commits that have no children, with their data:
// branch heads that point at them move back to their parents.
func (a *API) DeleteCommit(ctx context.Context, ref *tusk.Ref, id string) ([]tusk.Commit, error) {
	return a.removeCommits(ctx, "delete commit", ref, id, func(tx *meta.Tx, c meta.CommitRow) error {
		kids, err := tx.Children(ctx, c.Project, c.Repo, c.ID)
		if err != nil {
			return err
		}
		if len(kids) > 0 {
			return tusk.Errorf(tusk.KindConflict, "commit %s@%s has children %v; only a branch head can be deleted", c.Repo, c.ID, kids).
				WithHint("squash it instead to keep its data in its children: tusk squash commit %s@%s", c.Repo, c.ID)
		}
		heads, err := headsAt(ctx, tx, c.Project, c.Repo, c.ID)
		if err != nil {
			return err
		}
		for _, b := range heads {
			if err := tx.PutBranch(ctx, c.Project, c.Repo, b.Name, c.Parent, b.Created); err != nil {
				return err
			}
		}
		return nil
	})
}

// SquashCommit removes finished commits that have children, keeping their
// data: each child's content already includes its parent's, so the
// children are simply re-parented.
func (a *API) SquashCommit(ctx context.Context, ref *tusk.Ref, id string) ([]tusk.Commit, error) {
	return a.removeCommits(ctx, "squash commit", ref, id, func(tx *meta.Tx, c meta.CommitRow) error {
		if c.State != tusk.CommitFinished {
			return tusk.Errorf(tusk.KindConflict, "commit %s@%s is still open; finish it first", c.Repo, c.ID)
		}
		heads, err := headsAt(ctx, tx, c.Project, c.Repo, c.ID)
		if err != nil {
			return err
		}
		kids, err := tx.Children(ctx, c.Project, c.Repo, c.ID)
		if err != nil {
			return err
		}
		if len(heads) > 0 {
			return tusk.Errorf(tusk.KindConflict, "commit %s@%s is a branch head (of %s); squash moves a commit's data into its children", c.Repo, c.ID, heads[0].Name).
				WithHint("delete it instead with: tusk delete commit %s@%s", c.Repo, c.ID)
		}
		if len(kids) == 0 {
			return tusk.Errorf(tusk.KindConflict, "commit %s@%s has no children to squash it into", c.Repo, c.ID).
				WithHint("delete it instead with: tusk delete commit %s@%s", c.Repo, c.ID)
		}
		for _, k := range kids {
			kc, err := tx.Commit(ctx, c.Project, c.Repo, k)
			if err != nil {
				return err
			}
			kc.Parent = c.Parent
			if err := tx.UpdateCommit(ctx, c.Project, kc); err != nil {
				return err
			}
		}
		return nil
	})
}

// removeCommits removes the commits a delete or squash targets, in one
// transaction: detach prepares (or refuses) each one's removal. Deletion
// events are published once it commits.
func (a *API) removeCommits(ctx context.Context, what string, ref *tusk.Ref, id string, detach func(*meta.Tx, meta.CommitRow) error) ([]tusk.Commit, error) {
	var gone []tusk.Commit
	err := a.db.Update(ctx, func(tx *meta.Tx) error {
		gone = nil
		cs, err := a.targets(ctx, tx, ref, id)
		if err != nil {
			return err
		}
		for _, c := range cs {
			if err := detach(tx, c); err != nil {
				return err
			}
			if err := tx.DeleteCommit(ctx, c.Project, c.Repo, c.ID); err != nil {
				return err
			}
			gone = append(gone, c.Commit)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	evs := make([]tusk.CommitEvent, len(gone))
	for i, c := range gone {
		evs[i] = tusk.CommitEvent{Type: "deleted", Commit: c}
	}
	a.publish(ctx, evs...)
	return gone, nil
}
