package fileset

import (
	"context"
	"fmt"
	"slices"
)

// Iterator streams the entries of a tree in path order. It holds one path
// of nodes from the root to the current leaf in memory.
//
//	it := fileset.NewIterator(ctx, st, root)
//	it.Seek("/data/")
//	for f, ok := it.Next(); ok; f, ok = it.Next() {
//		...
//	}
//	if err := it.Err(); err != nil {
//		...
//	}
type Iterator struct {
	ctx     context.Context
	c       cursor
	key     string // the key of the pending seek
	seek    bool   // a seek to key is pending
	advance bool   // the current entry has been returned
	err     error
}

// NewIterator returns an iterator positioned before the first entry of the
// tree rooted at root.
func NewIterator(ctx context.Context, st NodeStore, root string) *Iterator {
	return &Iterator{ctx: ctx, c: cursor{st: st, root: root}, seek: true}
}

// Seek positions the iterator so that Next returns the first entry whose
// path is ≥ key. Seeking near the current position reads few nodes.
func (it *Iterator) Seek(key string) {
	it.key, it.seek, it.advance = key, true, false
}

// Next returns the next entry, or false at the end or on error (see Err).
func (it *Iterator) Next() (File, bool) {
	if it.err != nil {
		return File{}, false
	}
	var err error
	switch {
	case it.seek:
		err = it.c.seek(it.ctx, it.key)
		it.seek = false
	case it.advance:
		err = it.c.next(it.ctx)
	}
	if err != nil {
		it.err = fmt.Errorf("fileset: iterate: %w", err)
		return File{}, false
	}
	f := it.c.entry()
	it.advance = f != nil
	if f == nil {
		return File{}, false
	}
	return cloneFile(f), true
}

// Err returns the error that stopped the iteration, if any. An iterator
// that failed stays failed.
func (it *Iterator) Err() error { return it.err }

// Get returns the entry at path in the tree rooted at root, and whether it
// exists.
func Get(ctx context.Context, st NodeStore, root, path string) (File, bool, error) {
	c := cursor{st: st, root: root}
	if err := c.seek(ctx, path); err != nil {
		return File{}, false, fmt.Errorf("fileset: get %s: %w", path, err)
	}
	if f := c.entry(); f != nil && f.Path == path {
		return cloneFile(f), true, nil
	}
	return File{}, false, nil
}

func cloneFile(f *File) File {
	c := *f
	c.Refs = slices.Clone(f.Refs)
	return c
}
