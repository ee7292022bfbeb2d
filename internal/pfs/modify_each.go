package pfs

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// ModifyEach makes each group of operations a commit of its own on a
// branch, in order: the first group's commit is a child of the head, the
// next a child of that one, and so on. The commits share their durable
// writes, one flush of the tree nodes and chunks, one lease of the chunks
// and one transaction, so that many small writes to one branch (the S3
// gateway's PutObjects) cost about what one commit does. errs[i] tells
// why group i made no commit (a bad path, a missing chunk, a file where a
// directory is); commits[i] is its commit otherwise. err is set when the
// modification failed as a whole (the branch cannot be written, the
// store failed), and then no group made a commit. On a branch whose head
// is open the groups land in it, one after the other, as ModifyFiles
// does.
func (a *API) ModifyEach(ctx context.Context, ref tusk.Ref, groups [][]tusk.FileOp) (commits []tusk.Commit, errs []error, err error) {
	if ref.ID != "" || ref.Up > 0 || ref.At > 0 {
		return nil, nil, tusk.Errorf(tusk.KindInvalid, "cannot make commits on %s: give a branch", ref)
	}
	// missing[i] is set once group i refers to a chunk stored nowhere:
	// it is left out of the next attempts.
	missing := make([]error, len(groups))
	for attempt := 0; ; attempt++ {
		commits, errs, err = a.modifyEach(ctx, ref, groups, missing)
		if !errors.Is(err, errRaced) {
			break
		}
		if attempt == 100 {
			return nil, nil, tusk.Errorf(tusk.KindConflict, "modify %s: too many concurrent writers; retry", ref)
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("modify %s: %w", ref, err)
	}
	return commits, errs, nil
}

// modifyEach is one attempt of ModifyEach, without the groups that
// missing marks: it reports errRaced when another writer moved the branch
// before its transaction, or when it marked more groups as missing.
func (a *API) modifyEach(ctx context.Context, ref tusk.Ref, groups [][]tusk.FileOp, missing []error) ([]tusk.Commit, []error, error) {
	commits, errs := make([]tusk.Commit, len(groups)), slices.Clone(missing)
	tg, err := a.writeTarget(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	if tg.open {
		for i, ops := range groups {
			if errs[i] == nil {
				commits[i], errs[i] = a.ModifyFiles(ctx, ref, slices.Clone(ops))
			}
		}
		return commits, errs, nil
	}
	batch := a.newNodeBatch()
	roots := make([]string, len(groups))
	keys := make([][]string, len(groups))
	root := tg.base.Root
	for i, ops := range groups {
		if errs[i] != nil {
			continue
		}
		r, k, err := a.applyGroup(ctx, batch, ref, root, slices.Clone(ops))
		if err != nil {
			errs[i] = err
			continue
		}
		roots[i], keys[i], root = r, k, r
	}
	// The groups' chunks arrived before the groups did: this flush of the
	// nodes writes them too, and the lease after it finds them stored.
	if err := batch.Flush(ctx); err != nil {
		return nil, nil, err
	}
	if err := a.leaseFlushed(ctx, slices.Concat(keys...)); err != nil {
		var cm *ChunkMissingError
		if !errors.As(err, &cm) {
			return nil, nil, err
		}
		// Find the groups that miss chunks, and make the chain without them.
		for i := range groups {
			if errs[i] == nil {
				if err := a.leaseFlushed(ctx, keys[i]); errors.As(err, &cm) {
					missing[i] = err
				} else if err != nil {
					return nil, nil, err
				}
			}
		}
		return nil, nil, errRaced
	}
	rows := make([]meta.CommitRow, len(groups))
	parent := tg.base.Parent
	for i := range groups {
		if errs[i] != nil {
			continue
		}
		files, size, err := fileset.Stat(ctx, batch, roots[i])
		if err != nil {
			return nil, nil, err
		}
		c := tg.base
		c.ID, c.Parent, c.Root, c.SizeBytes, c.Files = newID(), parent, roots[i], size, files
		rows[i], parent = c, c.ID
	}
	if parent == tg.base.Parent {
		return commits, errs, nil // every group failed on its own
	}
	var evs []tusk.CommitEvent
	err = a.db.Update(ctx, func(tx *meta.Tx) error {
		evs = nil
		if err := checkHead(ctx, tx, ref, tg.base.Parent); err != nil {
			return err
		}
		for i := range rows {
			if errs[i] != nil {
				continue
			}
			more, err := a.landCommit(ctx, tx, ref, &rows[i])
			if err != nil {
				return err
			}
			evs = append(evs, more...)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	a.publish(ctx, evs...)
	for i := range rows {
		commits[i] = rows[i].Commit
	}
	return commits, errs, nil
}

// applyGroup applies ops to the tree root and returns the new root, its
// nodes kept in batch, and the keys of the chunks the operations refer
// to, which the caller leases before the commit lands.
func (a *API) applyGroup(ctx context.Context, batch *nodeBatch, ref tusk.Ref, root string, ops []tusk.FileOp) (string, []string, error) {
	keys, err := validateOps(ops)
	if err != nil {
		return "", nil, err
	}
	cs, err := a.changes(ctx, batch, ref, newReplay(root), root, ops)
	if err != nil {
		return "", nil, err
	}
	out, err := fileset.Apply(ctx, batch, cs.root(root), cs.list)
	if err != nil {
		return "", nil, treeError(err)
	}
	return out, keys, nil
}
