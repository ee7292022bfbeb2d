package pfs

import (
	"context"
	"slices"
	"strings"

	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/tusk"
)

// replay remembers what a modification meant, beyond the tree it built,
// so that when another writer moves the branch first the modification
// can be replayed onto the new head with its own meaning: an append adds
// its data to whatever the new head holds, a delete of a directory also
// removes what the other writer added under it, and a put replaces. A
// copy whose source is the branch being written cannot be replayed
// blindly; if the other writer changed that source, the modification
// fails with a conflict instead.
//
// The result is the tree that applying the modification after the other
// writer's commit would give, so the branch's history is a serial order
// of the writes that succeeded.
type replay struct {
	from string // the root the working tree was built from
	// appends holds, for each path whose new content is its content in
	// from followed by appended data, the appended pieces in order.
	appends map[string][]fileset.File
	// written holds the paths an earlier batch wrote whole (a put): an
	// append to one of them extends that write, whatever content it
	// had, and so is a whole write too.
	written map[string]bool
	// deletes holds every path deleted (with everything under it); "/"
	// means the modification began by clearing the tree.
	deletes map[string]bool
	// reads are the paths of this branch that copies read.
	reads map[string]bool
	// readsHead is set by a copy from an ancestor of the head, which any
	// move of the branch changes.
	readsHead bool
}

func newReplay(from string) *replay {
	return &replay{from: from, appends: map[string][]fileset.File{}, written: map[string]bool{}, deletes: map[string]bool{},
		reads: map[string]bool{}}
}

// relativeBase reports whether an append to p that finds base (ok: that
// p exists) in the working tree extends the content p had in from, and
// so must extend whatever a concurrent writer left at p instead.
func (r *replay) relativeBase(ctx context.Context, st fileset.NodeStore, root, p string, base fileset.File, ok bool) (bool, error) {
	if _, ok := r.appends[p]; ok {
		return true, nil
	}
	if r.written[p] {
		return false, nil
	}
	if root == r.from {
		return true, nil
	}
	old, had, err := fileset.Get(ctx, st, r.from, p)
	if err != nil {
		return false, err
	}
	return had == ok && old.Size == base.Size && old.Hash == base.Hash, nil
}

// merge records what a batch resolved into cs meant. The batch's deletes
// come first: they cover appends of earlier batches, which are then
// whole writes of their own.
func (r *replay) merge(cs changeSet) {
	for _, d := range cs.deletes {
		r.deletes[d] = true
	}
	if len(cs.deletes) > 0 {
		del := map[string]bool{}
		for _, d := range cs.deletes {
			del[d] = true
		}
		for p := range r.appends {
			if covered(del, p) {
				delete(r.appends, p)
			}
		}
	}
	for _, c := range cs.list {
		if c.Op != fileset.OpPut {
			continue
		}
		if more, ok := cs.appends[c.Path]; ok {
			r.appends[c.Path] = append(r.appends[c.Path], more...)
		} else {
			delete(r.appends, c.Path)
			r.written[c.Path] = true
		}
	}
	for p := range cs.reads {
		r.reads[p] = true
	}
	r.readsHead = r.readsHead || cs.readsHead
}

// parent returns the directory that holds p ("/" for "/").
func parent(p string) string {
	return p[:max(strings.LastIndexByte(p, '/'), 1)]
}

// covered reports whether p or one of its parent directories is in set.
func covered(set map[string]bool, p string) bool {
	for q := p; ; {
		if set[q] {
			return true
		}
		if q == "/" {
			return false
		}
		q = parent(q)
	}
}

// rebase replays the modification that took from to to onto onto, the
// root another writer made from from meanwhile, and returns the result.
// It becomes the replay of the new root: from is onto afterwards.
func (r *replay) rebase(ctx context.Context, st fileset.NodeStore, to, onto string) (string, error) {
	if err := r.checkReads(ctx, st, onto); err != nil {
		return "", err
	}
	// Under a deleted path the result holds exactly what to holds there;
	// elsewhere, what the modification changed is replayed.
	var changes []fileset.Change
	for d := range r.deletes {
		if d != "/" && covered(r.deletes, parent(d)) {
			continue
		}
		changes = append(changes, fileset.Change{Path: d, Op: fileset.OpDeletePrefix})
		err := walkTree(ctx, st, to, d, func(f fileset.File) error {
			changes = append(changes, fileset.Change{Path: f.Path, Op: fileset.OpPut, File: f})
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	err := fileset.Diff(ctx, st, r.from, to, func(o, n *fileset.File) error {
		switch {
		case n == nil:
			if !covered(r.deletes, o.Path) {
				changes = append(changes, fileset.Change{Path: o.Path, Op: fileset.OpDelete})
			}
		case covered(r.deletes, n.Path):
		case r.appends[n.Path] != nil:
			f, err := r.appendOnto(ctx, st, onto, n.Path)
			if err != nil {
				return err
			}
			changes = append(changes, fileset.Change{Path: n.Path, Op: fileset.OpPut, File: f})
		default:
			changes = append(changes, fileset.Change{Path: n.Path, Op: fileset.OpPut, File: *n})
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	slices.SortStableFunc(changes, func(x, y fileset.Change) int {
		if c := strings.Compare(x.Path, y.Path); c != 0 {
			return c
		}
		// A directory deleted and a file put at its path: the delete first.
		if x.Op == fileset.OpDeletePrefix {
			return -1
		}
		if y.Op == fileset.OpDeletePrefix {
			return 1
		}
		return 0
	})
	root, err := fileset.Apply(ctx, st, onto, changes)
	if err != nil {
		return "", treeError(err)
	}
	r.from = onto
	return root, nil
}

// appendOnto returns the file at p in onto followed by the
// modification's appends to p.
func (r *replay) appendOnto(ctx context.Context, st fileset.NodeStore, onto, p string) (fileset.File, error) {
	var f *fileset.File
	old, ok, err := fileset.Get(ctx, st, onto, p)
	if err != nil {
		return fileset.File{}, err
	}
	if ok {
		f = &old
	}
	for _, add := range r.appends[p] {
		if f == nil {
			add.Path = p
			f = &add
			continue
		}
		f = appendFile(*f, add)
	}
	return *f, nil
}

// checkReads fails with a conflict when the other writer changed what
// a copy of this modification read from the branch.
func (r *replay) checkReads(ctx context.Context, st fileset.NodeStore, onto string) error {
	if r.readsHead {
		return tusk.Errorf(tusk.KindConflict, "a copy read an ancestor of the head, and another commit moved the head meanwhile; retry the copy")
	}
	if len(r.reads) == 0 {
		return nil
	}
	return fileset.Diff(ctx, st, r.from, onto, func(o, n *fileset.File) error {
		p := n
		if p == nil {
			p = o
		}
		if covered(r.reads, p.Path) {
			return tusk.Errorf(tusk.KindConflict, "a copy read %s, which another commit changed meanwhile; retry the copy", p.Path)
		}
		return nil
	})
}
