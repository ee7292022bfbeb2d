package fileset

import "context"

// cursor is a position in a tree: the path of nodes from the root to the
// current leaf entry. Seeking reuses the nodes of the current path that it
// passes through again, so nearby seeks read few nodes.
type cursor struct {
	st   NodeStore
	root string
	path []frame // path[0] is the root
}

// frame is a node on a cursor's path and the index of the item taken.
type frame struct {
	id string
	n  *node
	i  int
	lo string // the keys of n sort after lo
}

// lower returns the key that the keys under item i of f sort after.
func (f *frame) lower() string {
	if f.i > 0 {
		return f.n.key(f.i - 1)
	}
	return f.lo
}

// seek positions c at the first entry whose path is ≥ key.
func (c *cursor) seek(ctx context.Context, key string) error {
	if c.root == "" {
		return nil
	}
	id, lo := c.root, ""
	var r ref
	for d := 0; ; d++ {
		if d >= len(c.path) || c.path[d].id != id {
			var n *node
			var err error
			if d == 0 {
				n, err = getNode(ctx, c.st, id)
			} else {
				n, err = loadChild(ctx, c.st, r, c.path[d-1].n.level-1, lo)
			}
			if err != nil {
				c.path = c.path[:0]
				return err
			}
			c.path = append(c.path[:d], frame{id: id, n: n, lo: lo})
		}
		f := &c.path[d]
		f.i = f.n.search(key)
		if f.n.level == 0 || f.i == f.n.len() {
			// At the entry, or past every key of the tree.
			c.path = c.path[:d+1]
			return nil
		}
		r, lo = f.n.refs[f.i], f.lower()
		id = r.ID
	}
}

// next moves c to the following entry.
func (c *cursor) next(ctx context.Context) error {
	d := len(c.path) - 1
	if d < 0 {
		return nil
	}
	c.path[d].i++
	for c.path[d].i >= c.path[d].n.len() {
		if d == 0 {
			c.path = c.path[:1] // past the end
			return nil
		}
		d--
		c.path[d].i++
	}
	for c.path[d].n.level > 0 {
		f := &c.path[d]
		r, lo := f.n.refs[f.i], f.lower()
		n, err := loadChild(ctx, c.st, r, f.n.level-1, lo)
		if err != nil {
			c.path = c.path[:0]
			return err
		}
		c.path = append(c.path[:d+1], frame{id: r.ID, n: n, lo: lo})
		d++
	}
	return nil
}

// entry returns the current entry, or nil past the end. It points into a
// node that later seeks may reuse: copy it before handing it out.
func (c *cursor) entry() *File {
	if len(c.path) == 0 {
		return nil
	}
	f := &c.path[len(c.path)-1]
	if f.n.level != 0 || f.i >= len(f.n.entries) {
		return nil
	}
	return &f.n.entries[f.i]
}
