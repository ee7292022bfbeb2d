package fileset

import (
	"context"
	"fmt"
	"slices"
)

// Diff calls fn, in path order, for every path whose entry differs between
// the trees rooted at oldRoot and newRoot: old is nil for an added path,
// new is nil for a deleted one. Subtrees with the same id on both sides are
// skipped unread, so the cost is O(changes · height · fanout). If fn
// returns an error, Diff stops and returns it.
func Diff(ctx context.Context, st NodeStore, oldRoot, newRoot string, fn func(old, new *File) error) error {
	return DiffRange(ctx, st, oldRoot, newRoot, "", "", fn)
}

// DiffRange is Diff restricted to the paths p with lo ≤ p < hi; hi == ""
// means no upper bound. DirRange gives the range of a directory.
func DiffRange(ctx context.Context, st NodeStore, oldRoot, newRoot, lo, hi string, fn func(old, new *File) error) error {
	if oldRoot == newRoot {
		return nil
	}
	a, err := newFrontier(ctx, st, oldRoot, lo, hi)
	if err != nil {
		return err
	}
	b, err := newFrontier(ctx, st, newRoot, lo, hi)
	if err != nil {
		return err
	}
	for {
		x, y := a.front(), b.front()
		var err error
		switch {
		case x == nil && y == nil:
			return nil
		case x != nil && y != nil && x.n.level > 0 && y.n.level > 0 &&
			x.n.refs[x.i].ID == y.n.refs[y.i].ID:
			a.pop()
			b.pop()
		case y == nil || x != nil && x.n.level > y.n.level:
			err = a.take(ctx, func(f *File) error { return fn(f, nil) })
		case x == nil || y.n.level > x.n.level:
			err = b.take(ctx, func(f *File) error { return fn(nil, f) })
		case x.n.level > 0:
			// Different subtrees at the same level.
			if err = a.expand(ctx); err == nil {
				err = b.expand(ctx)
			}
		default:
			err = diffEntries(a, b, fn)
		}
		if err != nil {
			return err
		}
	}
}

// diffEntries compares the entries at the fronts of a and b.
func diffEntries(a, b *frontier, fn func(old, new *File) error) error {
	x, y := a.entry(), b.entry()
	switch {
	case x.Path < y.Path:
		a.pop()
		return fn(x, nil)
	case x.Path > y.Path:
		b.pop()
		return fn(nil, y)
	}
	a.pop()
	b.pop()
	if sameFile(x, y) {
		return nil
	}
	return fn(x, y)
}

func sameFile(x, y *File) bool {
	return x.Size == y.Size && x.Hash == y.Hash && slices.Equal(x.Refs, y.Refs)
}

// frontier is the part of a tree not yet compared, as a stack of nodes
// whose items from index i on are pending. The front item is the pending
// item of the top node: an entry or a whole subtree.
type frontier struct {
	st    NodeStore
	hi    string
	stack []frame
}

// newFrontier returns the frontier of the keys ≥ lo of the tree at root,
// expanding the subtrees that straddle lo.
func newFrontier(ctx context.Context, st NodeStore, root, lo, hi string) (*frontier, error) {
	f := &frontier{st: st, hi: hi}
	if root == "" {
		return f, nil
	}
	n, err := getNode(ctx, st, root)
	if err != nil {
		return nil, fmt.Errorf("fileset: diff: %w", err)
	}
	f.stack = append(f.stack, frame{id: root, n: n, i: n.search(lo)})
	for {
		f.norm()
		top := f.front()
		if top == nil || top.n.level == 0 || succ(top.lower()) >= lo {
			return f, nil
		}
		if err := f.expand(ctx); err != nil {
			return nil, err
		}
		top = &f.stack[len(f.stack)-1]
		top.i = top.n.search(lo)
	}
}

// front returns the top frame, whose item i is the front, or nil if no
// pending item lies before hi.
func (f *frontier) front() *frame {
	if len(f.stack) == 0 {
		return nil
	}
	top := &f.stack[len(f.stack)-1]
	if f.hi == "" {
		return top
	}
	if top.n.level == 0 && top.n.entries[top.i].Path >= f.hi || top.n.level > 0 && succ(top.lower()) >= f.hi {
		return nil
	}
	return top
}

func (f *frontier) entry() *File {
	top := &f.stack[len(f.stack)-1]
	return &top.n.entries[top.i]
}

// pop drops the front item.
func (f *frontier) pop() {
	f.stack[len(f.stack)-1].i++
	f.norm()
}

// norm pops the nodes that have no pending items left.
func (f *frontier) norm() {
	for len(f.stack) > 0 {
		top := &f.stack[len(f.stack)-1]
		if top.i < top.n.len() {
			return
		}
		f.stack = f.stack[:len(f.stack)-1]
	}
}

// expand replaces the front subtree with the items of its root node.
func (f *frontier) expand(ctx context.Context) error {
	top := &f.stack[len(f.stack)-1]
	r, lo := top.n.refs[top.i], top.lower()
	n, err := loadChild(ctx, f.st, r, top.n.level-1, lo)
	if err != nil {
		return fmt.Errorf("fileset: diff: %w", err)
	}
	top.i++
	f.stack = append(f.stack, frame{id: r.ID, n: n, lo: lo})
	return nil
}

// take consumes the front item on its own: an entry is passed to fn, a
// subtree is expanded.
func (f *frontier) take(ctx context.Context, fn func(*File) error) error {
	top := &f.stack[len(f.stack)-1]
	if top.n.level > 0 {
		return f.expand(ctx)
	}
	e := &top.n.entries[top.i]
	f.pop()
	return fn(e)
}
