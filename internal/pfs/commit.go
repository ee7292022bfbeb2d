package pfs

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// resolve finds the commit a reference names.
func (a *API) resolve(ctx context.Context, tx *meta.Tx, ref tusk.Ref) (meta.CommitRow, error) {
	project := ref.ProjectName()
	if _, err := tx.Repo(ctx, project, ref.Repo); err != nil {
		return meta.CommitRow{}, err
	}
	id := ref.ID
	if id == "" {
		b, err := tx.Branch(ctx, project, ref.Repo, ref.Branch)
		if err != nil {
			return meta.CommitRow{}, err
		}
		if b.Head == "" {
			return meta.CommitRow{}, tusk.Errorf(tusk.KindNotFound, "branch %s@%s has no commits", ref.Repo, ref.Branch)
		}
		id = b.Head
	}
	c, err := tx.Commit(ctx, project, ref.Repo, id)
	if err != nil {
		return c, err
	}
	if ref.At > 0 {
		chain, err := tx.Ancestry(ctx, project, ref.Repo, c.ID, 0)
		if err != nil {
			return c, err
		}
		if ref.At > len(chain) {
			return c, tusk.Errorf(tusk.KindNotFound, "%s: the history has only %d commits", ref, len(chain))
		}
		c = chain[len(chain)-ref.At]
	}
	if ref.Up > 0 {
		chain, err := tx.Ancestry(ctx, project, ref.Repo, c.ID, ref.Up+1)
		if err != nil {
			return c, err
		}
		if len(chain) <= ref.Up {
			return c, tusk.Errorf(tusk.KindNotFound, "%s: the history has only %d commits", ref, len(chain))
		}
		c = chain[ref.Up]
	}
	return c, nil
}

func (a *API) fillCommit(ctx context.Context, tx *meta.Tx, c meta.CommitRow) (tusk.Commit, error) {
	out := c.Commit
	var err error
	if out.Children, err = tx.Children(ctx, c.Project, c.Repo, c.ID); err != nil {
		return out, err
	}
	if out.Provenance, err = tx.CommitProvenance(ctx, c.Project, c.Repo, c.ID); err != nil {
		return out, err
	}
	return out, nil
}

// StartCommit opens a new commit on a branch (created if missing) whose
// parent is the branch head. A branch has at most one open commit, and
// branches fed by provenance get their commits from propagation only.
func (a *API) StartCommit(ctx context.Context, project, repo, branch, description string) (tusk.Commit, error) {
	if err := tusk.ValidateBranchName(branch); err != nil {
		return tusk.Commit{}, err
	}
	var out tusk.Commit
	var evs []tusk.CommitEvent
	err := a.db.Update(ctx, func(tx *meta.Tx) error {
		var err error
		out, evs, err = a.startCommit(ctx, tx, project, repo, branch, description, newID())
		return err
	})
	if err != nil {
		return tusk.Commit{}, fmt.Errorf("start commit %s@%s: %w", repo, branch, err)
	}
	a.publish(ctx, evs...)
	return out, nil
}

// startCommit is StartCommit within tx, for a commit (and commit set) id,
// of a valid branch name.
func (a *API) startCommit(ctx context.Context, tx *meta.Tx, project, repo, branch, description, id string) (tusk.Commit, []tusk.CommitEvent, error) {
	if _, err := tx.Repo(ctx, project, repo); err != nil {
		return tusk.Commit{}, nil, err
	}
	c, err := a.newCommit(ctx, tx, project, repo, branch, description)
	if err != nil {
		return tusk.Commit{}, nil, err
	}
	c.ID = id
	if err := tx.InsertCommit(ctx, project, c); err != nil {
		return tusk.Commit{}, nil, err
	}
	if err := tx.PutBranch(ctx, project, repo, branch, c.ID, c.Started); err != nil {
		return tusk.Commit{}, nil, err
	}
	evs, err := a.propagate(ctx, tx, project, repo, branch, c.ID, c.Started)
	if err != nil {
		return tusk.Commit{}, nil, err
	}
	return c.Commit, append([]tusk.CommitEvent{{Type: "started", Commit: c.Commit}}, evs...), nil
}

// newCommit makes (without storing) an open user commit on top of the
// branch head, checking that the branch accepts one.
func (a *API) newCommit(ctx context.Context, tx *meta.Tx, project, repo, branch, description string) (meta.CommitRow, error) {
	c := meta.CommitRow{Commit: tusk.Commit{Project: project, Repo: repo, ID: newID(), Branch: branch, Origin: tusk.OriginUser,
		State: tusk.CommitStarted, Description: description, Started: now()}}
	b, err := tx.Branch(ctx, project, repo, branch)
	if err != nil && tusk.KindOf(err) != tusk.KindNotFound {
		return c, err
	}
	if err == nil {
		if len(b.Provenance) > 0 {
			return c, tusk.Errorf(tusk.KindInvalid, "branch %s@%s has provenance %v: its commits come from upstream, not from users", repo, branch, b.Provenance)
		}
		if b.Head != "" {
			head, err := tx.Commit(ctx, project, repo, b.Head)
			if err != nil {
				return c, err
			}
			if head.State != tusk.CommitFinished {
				return c, tusk.Errorf(tusk.KindConflict, "branch %s@%s already has an open commit %s", repo, branch, head.ID).
					WithHint("finish it with: tusk finish commit %s@%s", repo, branch)
			}
			c.Parent, c.Root, c.SizeBytes, c.Files = head.ID, head.Root, head.SizeBytes, head.Files
		}
	}
	return c, nil
}

// FinishCommit closes an open commit. errMsg, when set, marks the commit
// as failed (pipelines use this for failed jobs).
func (a *API) FinishCommit(ctx context.Context, ref tusk.Ref, description, errMsg string) (tusk.Commit, error) {
	var out tusk.Commit
	var evs []tusk.CommitEvent
	err := a.db.Update(ctx, func(tx *meta.Tx) error {
		var err error
		out, evs, err = a.finishCommit(ctx, tx, ref, description, errMsg, "")
		return err
	})
	if err != nil {
		return tusk.Commit{}, fmt.Errorf("finish commit %s: %w", ref, err)
	}
	a.publish(ctx, evs...)
	return out, nil
}

// finishCommit is FinishCommit within tx; the branches it triggers move
// in the commit set set (the commit's own when empty).
func (a *API) finishCommit(ctx context.Context, tx *meta.Tx, ref tusk.Ref, description, errMsg, set string) (tusk.Commit, []tusk.CommitEvent, error) {
	c, err := a.resolve(ctx, tx, ref)
	if err != nil {
		return tusk.Commit{}, nil, err
	}
	if c.State == tusk.CommitFinished {
		return tusk.Commit{}, nil, tusk.Errorf(tusk.KindConflict, "commit %s@%s is already finished", c.Repo, c.ID)
	}
	t := now()
	c.State, c.Finished, c.Error = tusk.CommitFinished, &t, errMsg
	if description != "" {
		c.Description = description
	}
	if err := tx.UpdateCommit(ctx, c.Project, c); err != nil {
		return tusk.Commit{}, nil, err
	}
	out, err := a.fillCommit(ctx, tx, c)
	if err != nil {
		return tusk.Commit{}, nil, err
	}
	evs, err := a.fireTriggers(ctx, tx, c.Branch, c, cmp.Or(set, c.ID))
	return out, append([]tusk.CommitEvent{{Type: "finished", Commit: out}}, evs...), err
}

// InspectCommit returns a commit.
func (a *API) InspectCommit(ctx context.Context, ref tusk.Ref) (tusk.Commit, error) {
	var out tusk.Commit
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		c, err := a.resolve(ctx, tx, ref)
		if err != nil {
			return err
		}
		out, err = a.fillCommit(ctx, tx, c)
		return err
	})
	return out, err
}

// ListCommits lists commits newest first: the history of a branch (or of
// the commit a reference names) when ref names one, else every commit of
// the repo. after, when set, is the ID of the last commit of the previous
// page.
func (a *API) ListCommits(ctx context.Context, project, repo string, ref *tusk.Ref, after string, limit int) ([]tusk.Commit, error) {
	var out []tusk.Commit
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		if _, err := tx.Repo(ctx, project, repo); err != nil {
			return err
		}
		var rows []meta.CommitRow
		switch {
		case ref != nil:
			start, err := a.resolve(ctx, tx, *ref)
			if err != nil {
				return err
			}
			from, n := start.ID, limit
			if after != "" {
				last, err := tx.Commit(ctx, project, repo, after)
				if err != nil {
					return err
				}
				if from = last.Parent; from == "" {
					return nil
				}
			}
			if rows, err = tx.Ancestry(ctx, project, repo, from, n); err != nil {
				return err
			}
		default:
			var cursor *meta.CommitRow
			if after != "" {
				last, err := tx.Commit(ctx, project, repo, after)
				if err != nil {
					return err
				}
				cursor = &last
			}
			var err error
			if rows, err = tx.RepoCommits(ctx, project, repo, cursor, limit); err != nil {
				return err
			}
		}
		for _, r := range rows {
			c, err := a.fillCommit(ctx, tx, r)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

// CommitSet returns every commit with the given ID, across repos.
func (a *API) CommitSet(ctx context.Context, id string) ([]tusk.Commit, error) {
	var out []tusk.Commit
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		rows, err := tx.CommitSet(ctx, id)
		if err != nil {
			return err
		}
		for _, r := range rows {
			c, err := a.fillCommit(ctx, tx, r)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	if err == nil && len(out) == 0 {
		err = tusk.Errorf(tusk.KindNotFound, "commit set %s not found", id)
	}
	return out, err
}

// WaitCommit blocks until the commit a reference names is finished, or,
// when ref is nil, until every commit of the commit set id is. It returns
// the finished commits. It waits on pushed events, not by polling.
func (a *API) WaitCommit(ctx context.Context, ref *tusk.Ref, id string) ([]tusk.Commit, error) {
	events, stop := a.Subscribe()
	defer stop()
	for {
		var cs []tusk.Commit
		var err error
		if ref != nil {
			var c tusk.Commit
			c, err = a.InspectCommit(ctx, *ref)
			cs = []tusk.Commit{c}
			if err == nil && ref.ID == "" {
				// Wait on this commit even if the branch moves on.
				r := *ref
				r.Branch, r.ID, r.Up, r.At = "", c.ID, 0, 0
				ref = &r
			}
		} else {
			cs, err = a.CommitSet(ctx, id)
		}
		if err != nil {
			return nil, err
		}
		done := true
		for _, c := range cs {
			done = done && c.State == tusk.CommitFinished
		}
		if done {
			return cs, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-events:
		case <-time.After(waitPoll):
			// An event from another server may be lost (its listener
			// reconnecting, say): look again now and then.
		}
	}
}

// waitPoll is how often WaitCommit looks again without an event.
var waitPoll = 2 * time.Second
