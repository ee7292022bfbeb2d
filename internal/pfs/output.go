package pfs

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tuskdata/tusk/internal/chunk"
	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// This file holds what pipelines need from the file system: output
// branches fed by provenance, staged datum outputs, and output commits
// finished from a list of files.

// SetupOutputBranch gives repo@branch the provenance prov (creating the
// branch, without a commit, if needed). With trigger, it also opens a new
// commit on it (and on everything downstream, in one commit set) whose
// provenance is the current heads of prov, so that a pipeline runs over
// the current inputs.
func (a *API) SetupOutputBranch(ctx context.Context, project, repo, branch string, prov []tusk.BranchRef, trigger bool) (*tusk.Commit, error) {
	var out *tusk.Commit
	var evs []tusk.CommitEvent
	err := a.db.Update(ctx, func(tx *meta.Tx) error {
		var err error
		out, evs, err = a.setupOutputBranch(ctx, tx, project, repo, branch, prov, trigger, newID())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("set up output branch %s@%s: %w", repo, branch, err)
	}
	a.publish(ctx, evs...)
	return out, nil
}

// setupOutputBranch is SetupOutputBranch within tx; the commit it opens
// has the ID id. A branch whose head already has that ID (a batch that
// changed an input before) keeps it, with its provenance brought up to
// date.
func (a *API) setupOutputBranch(ctx context.Context, tx *meta.Tx, project, repo, branch string, prov []tusk.BranchRef, trigger bool, id string) (*tusk.Commit, []tusk.CommitEvent, error) {
	if _, err := tx.Repo(ctx, project, repo); err != nil {
		return nil, nil, err
	}
	b, err := tx.Branch(ctx, project, repo, branch)
	if err != nil && tusk.KindOf(err) != tusk.KindNotFound {
		return nil, nil, err
	}
	t := now()
	if err != nil {
		if err := tx.PutBranch(ctx, project, repo, branch, "", t); err != nil {
			return nil, nil, err
		}
		b = tusk.Branch{Project: project, Repo: repo, Name: branch, Created: t}
	}
	if err := a.checkProvenance(ctx, tx, project, repo, branch, prov); err != nil {
		return nil, nil, err
	}
	if err := tx.SetBranchProvenance(ctx, project, repo, branch, prov); err != nil {
		return nil, nil, err
	}
	if !trigger {
		return nil, nil, nil
	}
	var evs []tusk.CommitEvent
	if b.Head == id {
		if err := tx.ClearCommitProvenance(ctx, project, repo, id); err != nil {
			return nil, nil, err
		}
	} else {
		c := meta.CommitRow{Commit: tusk.Commit{Project: project, Repo: repo, ID: id, Branch: branch, Parent: b.Head,
			Origin: tusk.OriginAuto, State: tusk.CommitStarted, Started: t}}
		if b.Head != "" {
			parent, err := tx.Commit(ctx, project, repo, b.Head)
			if err != nil {
				return nil, nil, err
			}
			c.Root, c.SizeBytes, c.Files = parent.Root, parent.SizeBytes, parent.Files
		}
		if err := tx.InsertCommit(ctx, project, c); err != nil {
			return nil, nil, err
		}
		evs = append(evs, tusk.CommitEvent{Type: "started", Commit: c.Commit})
	}
	if err := addHeadsProvenance(ctx, tx, project, repo, id, prov); err != nil {
		return nil, nil, err
	}
	if b.Head != id {
		if err := tx.PutBranch(ctx, project, repo, branch, id, b.Created); err != nil {
			return nil, nil, err
		}
	}
	more, err := a.propagate(ctx, tx, project, repo, branch, id, t)
	if err != nil {
		return nil, nil, err
	}
	c, err := tx.Commit(ctx, project, repo, id)
	if err != nil {
		return nil, nil, err
	}
	full, err := a.fillCommit(ctx, tx, c)
	return &full, append(evs, more...), err
}

// StageFiles turns the operations of a datum's output (puts and copies)
// into the sorted files they make, checking paths and chunks and leasing
// the chunks for ttl: until the job that will commit them finishes.
func (a *API) StageFiles(ctx context.Context, ops []tusk.FileOp, ttl time.Duration) ([]fileset.File, error) {
	for _, op := range ops {
		if op.Op == tusk.OpDelete {
			return nil, tusk.Errorf(tusk.KindInvalid, "a datum's output cannot delete files")
		}
	}
	if err := a.checkOps(ctx, ops); err != nil {
		return nil, err
	}
	cs, err := a.changes(ctx, a.nodes, tusk.Ref{}, newReplay(""), "", ops)
	if err != nil {
		return nil, err
	}
	files := make([]fileset.File, 0, len(cs.list))
	var keys []string
	for _, c := range cs.list {
		files = append(files, c.File)
		for _, r := range c.File.Refs {
			keys = append(keys, chunk.Key(r.Chunk))
		}
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	for len(keys) > 0 {
		n := min(len(keys), 500)
		err := a.db.UpdateVolatile(ctx, func(tx *meta.Tx) error {
			_, err := tx.Lease(ctx, keys[:n], now().Add(ttl))
			return err
		})
		if err != nil {
			return nil, err
		}
		keys = keys[n:]
	}
	return files, nil
}

// FinishOutputCommit finishes an open commit with exactly the given files
// (sorted by path, each path once), or, when errMsg is set, as failed and
// with its parent's content. also, when not nil, runs in the same
// metadata transaction (a pipeline records its job's end there, so that
// the commit and the job change together).
func (a *API) FinishOutputCommit(ctx context.Context, project, repo, id string, files []fileset.File, errMsg string, also func(*meta.Tx) error) (tusk.Commit, error) {
	root, size, n := "", int64(0), int64(0)
	if errMsg == "" {
		batch := a.newNodeBatch()
		b := fileset.NewBuilder(batch)
		for _, f := range files {
			if err := b.Add(ctx, f); err != nil {
				return tusk.Commit{}, fmt.Errorf("finish %s@%s: %w", repo, id, err)
			}
		}
		var err error
		if root, err = b.Finish(ctx); err != nil {
			return tusk.Commit{}, err
		}
		if n, size, err = fileset.Stat(ctx, batch, root); err != nil {
			return tusk.Commit{}, err
		}
		if err := batch.Flush(ctx); err != nil {
			return tusk.Commit{}, err
		}
	}
	return a.finishOutput(ctx, project, repo, id, root, size, n, errMsg, also)
}

// finishOutput finishes the open output commit repo@id of project with the tree
// root (of n files, size bytes), or with errMsg and no content, and runs
// also in the same transaction.
func (a *API) finishOutput(ctx context.Context, project, repo, id, root string, size, n int64, errMsg string, also func(*meta.Tx) error) (tusk.Commit, error) {
	var out tusk.Commit
	var evs []tusk.CommitEvent
	err := a.db.Update(ctx, func(tx *meta.Tx) error {
		c, err := tx.Commit(ctx, project, repo, id)
		if err != nil {
			return err
		}
		if c.State == tusk.CommitFinished {
			return tusk.Errorf(tusk.KindConflict, "commit %s@%s is already finished", repo, id)
		}
		t := now()
		c.State, c.Finished, c.Error = tusk.CommitFinished, &t, errMsg
		if errMsg == "" {
			c.Root, c.SizeBytes, c.Files = root, size, n
		}
		if err := tx.UpdateCommit(ctx, project, c); err != nil {
			return err
		}
		if also != nil {
			if err := also(tx); err != nil {
				return err
			}
		}
		if out, err = a.fillCommit(ctx, tx, c); err != nil {
			return err
		}
		evs, err = a.fireTriggers(ctx, tx, c.Branch, c, id)
		return err
	})
	if err != nil {
		return tusk.Commit{}, fmt.Errorf("finish %s@%s: %w", repo, id, err)
	}
	a.publish(ctx, append([]tusk.CommitEvent{{Type: "finished", Commit: out}}, evs...)...)
	return out, nil
}

// InputFiles lists every file of a commit with its content hash, for
// making datums.
func (a *API) InputFiles(ctx context.Context, project, repo, id string) ([]fileset.File, error) {
	var out []fileset.File
	err := a.WalkFiles(ctx, tusk.Ref{Project: project, Repo: repo, ID: id, Path: "/"}, func(f fileset.File) error {
		f.Refs = nil
		out = append(out, f)
		return nil
	})
	return out, err
}
