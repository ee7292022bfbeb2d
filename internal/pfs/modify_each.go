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
// writes, one flush of the tree nodes and one transaction, so that many
// small writes to one branch (the S3 gateway's PutObjects) cost about
// what one commit does. errs[i] tells why group i made no commit (a bad
// path, a missing chunk, a file where a directory is); commits[i] is its
// commit otherwise. err is set when none landed. On a branch whose head
// is open the groups land in it, one after the other, as ModifyFiles
// does.
func (a *API) ModifyEach(ctx context.Context, ref tusk.Ref, groups [][]tusk.FileOp) (commits []tusk.Commit, errs []error, err error) {
	if ref.ID != "" || ref.Up > 0 || ref.At > 0 {
		return nil, nil, tusk.Errorf(tusk.KindInvalid, "cannot make commits on %s: give a branch", ref)
	}
	for attempt := 0; ; attempt++ {
		commits, errs, err = a.modifyEach(ctx, ref, groups)
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

// modifyEach is one attempt of ModifyEach: it reports errRaced when
// another writer moved the branch before its transaction.
func (a *API) modifyEach(ctx context.Context, ref tusk.Ref, groups [][]tusk.FileOp) ([]tusk.Commit, []error, error) {
	commits, errs := make([]tusk.Commit, len(groups)), make([]error, len(groups))
	tg, err := a.writeTarget(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	if tg.open {
		for i, ops := range groups {
			commits[i], errs[i] = a.ModifyFiles(ctx, ref, slices.Clone(ops))
		}
		return commits, errs, nil
	}
	batch := a.newNodeBatch()
	roots := make([]string, len(groups))
	root := tg.base.Root
	for i, ops := range groups {
		r, err := a.applyGroup(ctx, batch, ref, root, slices.Clone(ops))
		if err != nil {
			errs[i] = err
			continue
		}
		roots[i], root = r, r
	}
	if err := batch.Flush(ctx); err != nil {
		return nil, nil, err
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
		return commits, errs, errors.Join(errs...)
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
// nodes kept in batch.
func (a *API) applyGroup(ctx context.Context, batch *nodeBatch, ref tusk.Ref, root string, ops []tusk.FileOp) (string, error) {
	if err := a.checkOps(ctx, ops); err != nil {
		return "", err
	}
	cs, err := a.changes(ctx, batch, ref, newReplay(root), root, ops)
	if err != nil {
		return "", err
	}
	out, err := fileset.Apply(ctx, batch, cs.root(root), cs.list)
	if err != nil {
		return "", treeError(err)
	}
	return out, nil
}
