package fileset

import (
	"fmt"
	"sort"
)

// Op is the kind of a Change.
type Op uint8

// The operations of a Change.
const (
	// OpPut adds the entry Change.File at Change.Path or replaces it.
	OpPut Op = iota + 1
	// OpDelete removes the entry at Change.Path; deleting a missing path is
	// a no-op.
	OpDelete
	// OpDeletePrefix removes the entry at Change.Path and every entry under
	// Change.Path + "/" (for the path "/", every entry).
	OpDeletePrefix
)

func (o Op) String() string {
	switch o {
	case OpPut:
		return "put"
	case OpDelete:
		return "delete"
	case OpDeletePrefix:
		return "delete-prefix"
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// Change is one edit of a batch passed to Apply.
//
// A batch is sorted by Path and holds at most one change per path, except
// that an OpDeletePrefix may be followed by an OpPut of the same path (a
// directory replaced by a file). OpDeletePrefix changes apply to the old
// tree and the other changes after them, so in one batch a DeletePrefix of
// "/d" and a Put of "/d/x" leave exactly "/d/x" under "/d", and a Delete
// under a deleted prefix is a no-op.
type Change struct {
	Path string
	Op   Op
	// File is the new entry of an OpPut. Its Path must be empty or equal
	// to Change.Path.
	File File
}

// plan is a validated batch split into point changes (puts and deletes,
// by path) and the key ranges removed by OpDeletePrefix.
type plan struct {
	points []Change
	cuts   cuts
}

func newPlan(changes []Change) (*plan, error) {
	p := &plan{}
	for i, c := range changes {
		if err := checkChange(changes, i); err != nil {
			return nil, err
		}
		switch c.Op {
		case OpPut:
			c.File.Path = c.Path
			p.points = append(p.points, c)
		case OpDelete:
			p.points = append(p.points, c)
		case OpDeletePrefix:
			p.cuts.add(c.Path)
		}
	}
	p.cuts.merge()
	return p, nil
}

// checkChange validates changes[i] and its order after changes[i-1].
func checkChange(changes []Change, i int) error {
	c := &changes[i]
	switch {
	case c.Path == "":
		return fmt.Errorf("%w: change %d: empty path", ErrInvalid, i)
	case c.Op < OpPut || c.Op > OpDeletePrefix:
		return fmt.Errorf("%w: change %d: %s: unknown op %d", ErrInvalid, i, c.Path, c.Op)
	case c.Op == OpPut && c.File.Path != "" && c.File.Path != c.Path:
		return fmt.Errorf("%w: change %d: put %s carries file %s", ErrInvalid, i, c.Path, c.File.Path)
	}
	if c.Op == OpPut {
		f := c.File
		f.Path = c.Path
		if err := checkFile(&f); err != nil {
			return fmt.Errorf("change %d: %w", i, err)
		}
	}
	if i == 0 {
		return nil
	}
	prev := &changes[i-1]
	switch {
	case c.Path < prev.Path:
		return fmt.Errorf("%w: changes not sorted: %s after %s", ErrInvalid, c.Path, prev.Path)
	case c.Path == prev.Path && (prev.Op != OpDeletePrefix || c.Op != OpPut):
		return fmt.Errorf("%w: %s after %s of the same path %s", ErrInvalid, c.Op, prev.Op, c.Path)
	}
	return nil
}

// span is the key range [lo, hi).
type span struct{ lo, hi string }

// cuts is a sorted list of disjoint deleted key ranges, consumed in key
// order by a single forward pass.
type cuts struct{ spans []span }

// add records the ranges deleted by OpDeletePrefix of p: the key p itself
// and the keys under p + "/", which are not adjacent in byte order ("/d.txt"
// sorts between "/d" and "/d/x").
func (c *cuts) add(p string) {
	if p == "/" {
		c.spans = append(c.spans, span{"/", "0"})
		return
	}
	c.spans = append(c.spans, span{p, succ(p)}, span{p + "/", p + "0"})
}

func (c *cuts) merge() {
	sort.Slice(c.spans, func(i, j int) bool { return c.spans[i].lo < c.spans[j].lo })
	var out []span
	for _, s := range c.spans {
		if n := len(out); n > 0 && s.lo <= out[n-1].hi {
			out[n-1].hi = max(out[n-1].hi, s.hi)
			continue
		}
		out = append(out, s)
	}
	c.spans = out
}

// skip drops the ranges that hold no key after lo. Calls must not
// decrease lo.
func (c *cuts) skip(lo string) {
	for len(c.spans) > 0 && c.spans[0].hi <= succ(lo) {
		c.spans = c.spans[1:]
	}
}

// intersects reports whether a deleted range meets (lo, hi], after skip(lo).
func (c *cuts) intersects(hi string) bool {
	return len(c.spans) > 0 && c.spans[0].lo <= hi
}

// covers reports whether (lo, hi] is entirely deleted, after skip(lo).
func (c *cuts) covers(lo, hi string) bool {
	return len(c.spans) > 0 && c.spans[0].lo <= succ(lo) && hi < c.spans[0].hi
}

// contains reports whether key is deleted. Calls must not decrease key.
func (c *cuts) contains(key string) bool {
	for len(c.spans) > 0 && c.spans[0].hi <= key {
		c.spans = c.spans[1:]
	}
	return len(c.spans) > 0 && c.spans[0].lo <= key
}
