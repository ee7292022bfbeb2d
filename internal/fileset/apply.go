package fileset

import (
	"context"
	"fmt"
)

// Apply applies a batch of changes (see Change for the rules) to the tree
// rooted at root and returns the root of the new tree, the very root that
// building the resulting entries from scratch would give.
//
// It walks the old tree top-down alongside the changes and copies every
// subtree whose key range holds no change as a reference, without reading
// it, and drops every subtree whose keys are all under a deleted prefix, so
// k changes to a tree of n entries cost O(k · log n) node reads and writes.
//
// After applying, no put path may be a file and the parent directory of
// another file at once; otherwise Apply returns an error wrapping
// ErrPathConflict. Nodes already written by a failed Apply are unreachable
// garbage.
func Apply(ctx context.Context, st NodeStore, root string, changes []Change) (string, error) {
	newRoot, err := apply(ctx, st, root, changes)
	if err != nil {
		return "", fmt.Errorf("fileset: apply: %w", err)
	}
	return newRoot, nil
}

func apply(ctx context.Context, st NodeStore, root string, changes []Change) (string, error) {
	p, err := newPlan(changes)
	if err != nil {
		return "", err
	}
	if len(changes) == 0 {
		return root, nil
	}
	a := &applier{st: st, b: NewBuilder(st), points: p.points, cuts: p.cuts}
	if root != "" {
		n, err := getNode(ctx, st, root)
		if err != nil {
			return "", err
		}
		if err := a.node(ctx, n, ""); err != nil {
			return "", err
		}
	}
	for _, c := range a.points[a.next:] {
		if err := a.point(ctx, c); err != nil {
			return "", err
		}
	}
	newRoot, err := a.b.finish(ctx)
	if err != nil {
		return "", err
	}
	if err := checkConflicts(ctx, st, newRoot, p.points); err != nil {
		return "", err
	}
	return newRoot, nil
}

// applier merges the old tree with a plan into a Builder, in key order.
// Everything up to the current position has been fed to the builder: the
// old entries, minus deleted ones, and the point changes before points[next].
type applier struct {
	st     NodeStore
	b      *Builder
	points []Change
	next   int
	cuts   cuts
}

// node merges the changes into the subtree of n, whose keys sort after lo.
func (a *applier) node(ctx context.Context, n *node, lo string) error {
	if n.level == 0 {
		return a.leaf(ctx, n)
	}
	for _, r := range n.refs {
		if err := a.child(ctx, r, n.level-1, lo); err != nil {
			return err
		}
		lo = r.Last
	}
	return nil
}

// child merges the changes into the subtree r points to, a node of level l
// whose keys lie in (lo, r.Last].
func (a *applier) child(ctx context.Context, r ref, l int, lo string) error {
	a.cuts.skip(lo)
	if a.cuts.covers(lo, r.Last) {
		// Every old key of the subtree is deleted: drop it unread.
		return a.pointsTo(ctx, r.Last, true)
	}
	// The subtree can be kept as is if the builder is at a node boundary at
	// its level (nothing pending at levels ≤ l), no change falls in its key
	// range, and it ends at a boundary of level l+1 or nothing follows it.
	if a.b.empty(l) && !a.changed(r.Last) && (height(r.Last) > l || a.next == len(a.points)) {
		return a.b.reuse(ctx, r, l)
	}
	n, err := loadChild(ctx, a.st, r, l, lo)
	if err != nil {
		return err
	}
	return a.node(ctx, n, lo)
}

// changed reports whether a change falls in (lo, hi], lo being the last
// key passed to cuts.skip.
func (a *applier) changed(hi string) bool {
	return a.next < len(a.points) && a.points[a.next].Path <= hi || a.cuts.intersects(hi)
}

// leaf merges the changes into the entries of a leaf.
func (a *applier) leaf(ctx context.Context, n *node) error {
	for _, f := range n.entries {
		if err := a.pointsTo(ctx, f.Path, false); err != nil {
			return err
		}
		if a.next < len(a.points) && a.points[a.next].Path == f.Path {
			// A put replaces the old entry, a delete drops it.
			if err := a.point(ctx, a.points[a.next]); err != nil {
				return err
			}
			a.next++
			continue
		}
		if a.cuts.contains(f.Path) {
			continue
		}
		if err := a.b.add(ctx, f); err != nil {
			return err
		}
	}
	return nil
}

// pointsTo applies the point changes before key, and at key if through.
func (a *applier) pointsTo(ctx context.Context, key string, through bool) error {
	for a.next < len(a.points) {
		c := a.points[a.next]
		if c.Path > key || c.Path == key && !through {
			return nil
		}
		if err := a.point(ctx, c); err != nil {
			return err
		}
		a.next++
	}
	return nil
}

// point applies one point change at the current position.
func (a *applier) point(ctx context.Context, c Change) error {
	if c.Op != OpPut {
		return nil
	}
	return a.b.add(ctx, c.File)
}
