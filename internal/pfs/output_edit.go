package pfs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// ErrNotEditable is wrapped by the error of FinishOutputCommitFrom when
// the output cannot be made from the base commit's: it is gone, or the
// files put overlap each other or files that stay.
var ErrNotEditable = errors.New("the output cannot be made from the base's")

// FinishOutputCommitFrom finishes an open output commit, as
// FinishOutputCommit does, with the files of the finished commit base of
// the same repo, minus those at the paths deleted, plus the files put
// (sorted by path, each path once): the output of a job made from that of
// the last successful job and the outputs of the datums that changed, at
// a cost that grows with them rather than with the output. A file put may
// not replace a file of base that is not deleted, nor make a path both a
// file and a directory: then nothing is committed and the error wraps
// ErrNotEditable, as it does when base is gone, so that the caller can
// build the output from scratch (and tell which datums are at fault).
func (a *API) FinishOutputCommitFrom(ctx context.Context, project, repo, id, base string, deletes []string, puts []fileset.File, also func(*meta.Tx) error) (tusk.Commit, error) {
	var from meta.CommitRow
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		var err error
		from, err = tx.Commit(ctx, project, repo, base)
		return err
	})
	if tusk.KindOf(err) == tusk.KindNotFound {
		err = fmt.Errorf("%w: %w", ErrNotEditable, err)
	}
	if err != nil {
		return tusk.Commit{}, fmt.Errorf("finish %s@%s from %s: %w", repo, id, base, err)
	}
	batch := a.newNodeBatch()
	changes, err := outputChanges(ctx, batch, from.Root, deletes, puts)
	if err != nil {
		return tusk.Commit{}, fmt.Errorf("finish %s@%s from %s: %w", repo, id, base, err)
	}
	root, err := fileset.Apply(ctx, batch, from.Root, changes)
	if errors.Is(err, fileset.ErrPathConflict) {
		err = fmt.Errorf("%w: %w", ErrNotEditable, err)
	}
	if err != nil {
		return tusk.Commit{}, fmt.Errorf("finish %s@%s from %s: %w", repo, id, base, err)
	}
	n, size, err := fileset.Stat(ctx, batch, root)
	if err != nil {
		return tusk.Commit{}, err
	}
	if err := batch.Flush(ctx); err != nil {
		return tusk.Commit{}, err
	}
	return a.finishOutput(ctx, project, repo, id, root, size, n, "", also)
}

// outputChanges turns the deletes and puts of FinishOutputCommitFrom into
// a batch of changes to the tree root, checking that no put overlaps
// another or replaces a file that stays.
func outputChanges(ctx context.Context, st fileset.NodeStore, root string, deletes []string, puts []fileset.File) ([]fileset.Change, error) {
	deleted := map[string]bool{}
	for _, p := range deletes {
		deleted[p] = true
	}
	changes := make([]fileset.Change, 0, len(deletes)+len(puts))
	for i, f := range puts {
		if i > 0 && f.Path <= puts[i-1].Path {
			return nil, fmt.Errorf("%w: %s is put twice or out of order", ErrNotEditable, f.Path)
		}
		if !deleted[f.Path] {
			_, ok, err := fileset.Get(ctx, st, root, f.Path)
			if err != nil {
				return nil, err
			}
			if ok {
				return nil, fmt.Errorf("%w: %s is already there", ErrNotEditable, f.Path)
			}
		}
		delete(deleted, f.Path)
		changes = append(changes, fileset.Change{Path: f.Path, Op: fileset.OpPut, File: f})
	}
	for p := range deleted {
		changes = append(changes, fileset.Change{Path: p, Op: fileset.OpDelete})
	}
	slices.SortFunc(changes, func(x, y fileset.Change) int { return strings.Compare(x.Path, y.Path) })
	return changes, nil
}
