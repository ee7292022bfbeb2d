package fileset

import (
	"context"
	"fmt"
)

// Builder builds a tree from entries added in strictly increasing path
// order, writing each node as soon as it is complete. It holds one pending
// node per level, so memory is O(height · fanout) whatever the tree size.
type Builder struct {
	st   NodeStore
	last string  // last path added
	leaf []File  // pending entries of the current leaf
	lv   []level // per node level
	buf  []byte  // encoding scratch
}

// level is the state of one level of the tree under construction.
type level struct {
	pending []ref     // children of the current node (unused at level 0)
	nodes   int       // nodes of this level known to be in the tree so far
	held    *heldNode // the first node of this level while it is the only one and has one child
	written string    // the last node of this level written to the store
}

// heldNode is a node with a single child, not yet written. If it stays the
// only node of its level it is not part of the tree (the root is the
// highest node with more than one child, or the only leaf) and is dropped.
type heldNode struct {
	id    string
	data  []byte
	child ref
	below *heldNode // the held node that child points to, if any
}

// NewBuilder returns a Builder that writes nodes to st.
func NewBuilder(st NodeStore) *Builder {
	return &Builder{st: st}
}

// Add appends an entry. Paths must strictly increase from call to call.
// After an error the Builder is unusable.
func (b *Builder) Add(ctx context.Context, f File) error {
	if err := b.add(ctx, f); err != nil {
		return fmt.Errorf("fileset: add %q: %w", f.Path, err)
	}
	return nil
}

// Finish writes the pending nodes and returns the root id, "" for an empty
// tree. The Builder must not be used afterwards.
func (b *Builder) Finish(ctx context.Context) (string, error) {
	root, err := b.finish(ctx)
	if err != nil {
		return "", fmt.Errorf("fileset: finish: %w", err)
	}
	return root, nil
}

func (b *Builder) add(ctx context.Context, f File) error {
	if f.Path <= b.last {
		return fmt.Errorf("%w: path %q does not sort after %q", ErrInvalid, f.Path, b.last)
	}
	b.last = f.Path
	b.leaf = append(b.leaf, f)
	if height(f.Path) > 0 {
		r, err := b.writeLeaf(ctx)
		if err != nil {
			return err
		}
		return b.push(ctx, r, 0)
	}
	return nil
}

func (b *Builder) finish(ctx context.Context) (string, error) {
	for l := 0; ; l++ {
		b.grow(l)
		if b.lv[l].nodes == 0 {
			// The pending items make up the only node of this level.
			return b.finishTop(ctx, l)
		}
		var r ref
		var err error
		switch {
		case l == 0 && len(b.leaf) > 0:
			r, err = b.writeLeaf(ctx)
		case l > 0 && len(b.lv[l].pending) > 0:
			r, err = b.writeInternal(ctx, l)
		default:
			continue
		}
		if err != nil {
			return "", err
		}
		if err := b.push(ctx, r, l); err != nil {
			return "", err
		}
	}
}

func (b *Builder) finishTop(ctx context.Context, l int) (string, error) {
	switch {
	case l == 0 && len(b.leaf) == 0:
		return "", nil
	case l == 0:
		r, err := b.writeLeaf(ctx)
		return r.ID, err
	case len(b.lv[l].pending) == 1:
		return b.collapse(ctx, b.lv[l].pending[0], l-1)
	default:
		r, err := b.writeInternal(ctx, l)
		return r.ID, err
	}
}

// collapse returns the root of the tree whose top is the single ref r to a
// node of level l: the first node down from r with more than one child, or
// a leaf. Nodes written by this Builder are known to have several children;
// a reused node of an older tree is read to find out.
func (b *Builder) collapse(ctx context.Context, r ref, l int) (string, error) {
	h := b.lv[l].held // the node r points to, if held
	for l > 0 {
		if h != nil {
			r, l, h = h.child, l-1, h.below
			continue
		}
		if r.ID == b.lv[l].written {
			break
		}
		n, err := loadChild(ctx, b.st, r, l, "")
		if err != nil {
			return "", err
		}
		if len(n.refs) > 1 {
			break
		}
		r, l = n.refs[0], l-1
	}
	return r.ID, nil
}

// empty reports whether no items are pending at levels 0 through l, that is,
// whether the next item starts a new node at every one of these levels.
func (b *Builder) empty(l int) bool {
	if len(b.leaf) > 0 {
		return false
	}
	for i := 1; i <= l && i < len(b.lv); i++ {
		if len(b.lv[i].pending) > 0 {
			return false
		}
	}
	return true
}

// reuse adds r, a reference to an existing node of level l, as push does.
// The subtree under r holds nodes of every lower level, so a node built
// later at one of these levels is not the first of its level.
func (b *Builder) reuse(ctx context.Context, r ref, l int) error {
	b.grow(l)
	for i := 0; i < l; i++ {
		b.lv[i].nodes = max(b.lv[i].nodes, 1)
	}
	return b.push(ctx, r, l)
}

// push adds r, a reference to a node of level l, to the pending node of
// level l+1, and completes that node if r's key is a boundary for it.
func (b *Builder) push(ctx context.Context, r ref, l int) error {
	b.grow(l + 1)
	cur := &b.lv[l]
	cur.nodes++
	if cur.nodes == 2 && cur.held != nil {
		// The level has two nodes now, so the held one is part of the tree.
		if err := b.release(ctx, cur.held); err != nil {
			return err
		}
		cur.held = nil
	}
	up := &b.lv[l+1]
	up.pending = append(up.pending, r)
	if height(r.Last) <= l+1 {
		return nil
	}
	p, err := b.writeInternal(ctx, l+1)
	if err != nil {
		return err
	}
	return b.push(ctx, p, l+1)
}

// writeLeaf writes the pending leaf and returns a reference to it.
func (b *Builder) writeLeaf(ctx context.Context) (ref, error) {
	raw, err := encodeLeaf(b.buf, b.leaf)
	if err != nil {
		return ref{}, err
	}
	b.buf = raw
	r := ref{Last: b.leaf[len(b.leaf)-1].Path}
	for _, f := range b.leaf {
		if !addStats(&r.Count, &r.Bytes, 1, f.Size) {
			return ref{}, fmt.Errorf("%w: total size overflows int64", ErrInvalid)
		}
	}
	data, id := seal(raw)
	r.ID = id
	b.leaf = b.leaf[:0]
	return r, b.put(ctx, id, data)
}

// writeInternal completes the pending node of level l and returns a
// reference to it. The first node of a level is held back while it has a
// single child.
func (b *Builder) writeInternal(ctx context.Context, l int) (ref, error) {
	cur := &b.lv[l]
	raw, err := encodeInternal(b.buf, l, cur.pending)
	if err != nil {
		return ref{}, err
	}
	b.buf = raw
	r := ref{Last: cur.pending[len(cur.pending)-1].Last}
	for _, c := range cur.pending {
		if !addStats(&r.Count, &r.Bytes, c.Count, c.Bytes) {
			return ref{}, fmt.Errorf("%w: total size overflows int64", ErrInvalid)
		}
	}
	data, id := seal(raw)
	r.ID = id
	if len(cur.pending) == 1 && cur.nodes == 0 {
		cur.held = &heldNode{id: id, data: data, child: cur.pending[0], below: b.lv[l-1].held}
		b.lv[l-1].held = nil
	} else {
		cur.written = id
		err = b.put(ctx, id, data)
	}
	cur.pending = cur.pending[:0]
	return r, err
}

// release writes a held node after the held nodes below it.
func (b *Builder) release(ctx context.Context, h *heldNode) error {
	if h.below != nil {
		if err := b.release(ctx, h.below); err != nil {
			return err
		}
	}
	return b.put(ctx, h.id, h.data)
}

func (b *Builder) put(ctx context.Context, id string, data []byte) error {
	if err := b.st.PutNode(ctx, id, data); err != nil {
		return fmt.Errorf("put node %s: %w", id, err)
	}
	return nil
}

func (b *Builder) grow(l int) {
	for len(b.lv) <= l {
		b.lv = append(b.lv, level{})
	}
}
