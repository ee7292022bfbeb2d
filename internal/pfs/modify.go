package pfs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/tuskdata/tusk/internal/chunk"
	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// ModifyFiles applies file operations to the commit ref names. Into an
// open commit (a branch whose head is open, or an open commit's ID) the
// operations land in it; on a branch whose head is finished they become
// exactly one new commit. Either way all of them become visible together,
// or none.
func (a *API) ModifyFiles(ctx context.Context, ref tusk.Ref, ops []tusk.FileOp) (tusk.Commit, error) {
	i := 0
	return a.ModifyStream(ctx, ref, func() (tusk.FileOp, bool, error) {
		if i == len(ops) {
			return tusk.FileOp{}, false, nil
		}
		i++
		return ops[i-1], true, nil
	})
}

// opBatch is how many operations are applied to the tree at a time, so
// that a modification of a million files never holds them all in memory.
var opBatch = 50_000

// ModifyStream is ModifyFiles for a stream of operations: next returns
// them in order until it reports false. They are applied in batches to a
// working tree, which becomes visible only once every operation has been
// applied. If another writer moves the branch (or the open commit)
// meanwhile, the changes are replayed onto its result.
func (a *API) ModifyStream(ctx context.Context, ref tusk.Ref, next func() (tusk.FileOp, bool, error)) (tusk.Commit, error) {
	if ref.Up > 0 || ref.At > 0 {
		return tusk.Commit{}, tusk.Errorf(tusk.KindInvalid, "cannot write to %s: write to a branch or an open commit", ref)
	}
	c, err := a.modifyStream(ctx, ref, next)
	if err != nil {
		return c, fmt.Errorf("modify %s: %w", ref, err)
	}
	return c, nil
}

func (a *API) modifyStream(ctx context.Context, ref tusk.Ref, next func() (tusk.FileOp, bool, error)) (tusk.Commit, error) {
	target, err := a.writeTarget(ctx, ref)
	if err != nil {
		return tusk.Commit{}, err
	}
	batch := a.newNodeBatch()
	root := target.base.Root
	rp := newReplay(root)
	var buf []tusk.FileOp
	apply := func() error {
		if len(buf) == 0 {
			return nil
		}
		if err := a.checkOps(ctx, buf); err != nil {
			return err
		}
		cs, err := a.changes(ctx, batch, ref, rp, root, buf)
		if err != nil {
			return err
		}
		if root, err = fileset.Apply(ctx, batch, cs.root(root), cs.list); err != nil {
			return treeError(err)
		}
		rp.merge(cs)
		buf = buf[:0]
		return batch.Flush(ctx)
	}
	for {
		op, ok, err := next()
		if err != nil {
			return tusk.Commit{}, err
		}
		if !ok {
			break
		}
		buf = append(buf, op)
		if len(buf) == opBatch {
			if err := apply(); err != nil {
				return tusk.Commit{}, err
			}
		}
	}
	if err := apply(); err != nil {
		return tusk.Commit{}, err
	}
	for attempt := 0; ; attempt++ {
		c, err := a.commitTree(ctx, ref, target, root, batch)
		if !errors.Is(err, errRaced) {
			return c, err
		}
		if attempt == 100 {
			return c, tusk.Errorf(tusk.KindConflict, "too many concurrent writers; retry")
		}
		moved, err := a.writeTarget(ctx, ref)
		if err != nil {
			return tusk.Commit{}, err
		}
		if root, err = rp.rebase(ctx, batch, root, moved.base.Root); err != nil {
			return tusk.Commit{}, err
		}
		if err := batch.Flush(ctx); err != nil {
			return tusk.Commit{}, err
		}
		target = moved
	}
}

func treeError(err error) error {
	if errors.Is(err, fileset.ErrPathConflict) {
		return tusk.Errorf(tusk.KindInvalid, "%v; a path cannot be both a file and a directory", err)
	}
	return err
}

var errRaced = errors.New("raced with another writer")

// ChunkMissingError refuses operations that refer to a chunk the store
// does not hold: never sent, or sent to a server that died before it was
// stored. The client must send it (again) first. Its kind is invalid.
type ChunkMissingError struct{ Chunk string }

func (e *ChunkMissingError) Error() string {
	return "chunk " + e.Chunk + " is not stored; upload it before referring to it"
}

// Unwrap gives the error its kind, tusk.KindInvalid.
func (e *ChunkMissingError) Unwrap() error { return tusk.Errorf(tusk.KindInvalid, "%s", e.Error()) }

// checkOps validates paths and leases every chunk the operations refer to,
// so that the collector cannot free them before the commit lands.
func (a *API) checkOps(ctx context.Context, ops []tusk.FileOp) error {
	keys, err := validateOps(ops)
	if err != nil {
		return err
	}
	return a.leaseChunks(ctx, keys)
}

// validateOps cleans the operations' paths, checks their data references,
// and returns the keys of the chunks they refer to, each once.
func validateOps(ops []tusk.FileOp) ([]string, error) {
	seen := map[string]bool{}
	var keys []string
	for i := range ops {
		op := &ops[i]
		p, err := tusk.CleanPath(op.Path)
		if err != nil {
			return nil, err
		}
		op.Path = p
		switch op.Op {
		case tusk.OpPut:
			if p == "/" {
				return nil, tusk.Errorf(tusk.KindInvalid, "cannot put a file at \"/\": give a file path")
			}
			var n int64
			for _, r := range op.Refs {
				if !validChunkID(r.Chunk) || r.Offset < 0 || r.Length <= 0 {
					return nil, tusk.Errorf(tusk.KindInvalid, "put %s: bad data reference %+v", p, r)
				}
				n += r.Length
				if !seen[r.Chunk] {
					seen[r.Chunk] = true
					keys = append(keys, chunk.Key(r.Chunk))
				}
			}
			if n != op.Size {
				return nil, tusk.Errorf(tusk.KindInvalid, "put %s: size %d does not match its data references (%d bytes)", p, op.Size, n)
			}
		case tusk.OpDelete, tusk.OpCopy:
		default:
			return nil, tusk.Errorf(tusk.KindInvalid, "unknown file operation %q: want put, delete or copy", op.Op)
		}
	}
	return keys, nil
}

// leaseChunks makes the chunks of keys known as written (flushing what
// this server holds of them) and leases them; a chunk stored nowhere is
// a ChunkMissingError.
func (a *API) leaseChunks(ctx context.Context, keys []string) error {
	if len(keys) > 0 {
		if err := a.flushWrites(ctx); err != nil {
			return err
		}
	}
	return a.leaseFlushed(ctx, keys)
}

// leaseFlushed is leaseChunks for chunks that this server has flushed
// since they arrived.
func (a *API) leaseFlushed(ctx context.Context, keys []string) error {
	for len(keys) > 0 {
		n := min(len(keys), 500)
		states, err := a.lease(ctx, keys[:n])
		if err != nil {
			return err
		}
		var unknown []string
		for i, s := range states {
			if s != meta.ObjectPresent {
				unknown = append(unknown, keys[i])
			}
		}
		if len(unknown) > 0 {
			missing, err := a.adopt(ctx, unknown)
			if err != nil {
				return err
			}
			if len(missing) > 0 {
				return &ChunkMissingError{Chunk: path.Base(missing[0])}
			}
		}
		keys = keys[n:]
	}
	return nil
}

// target is where a modification lands: an open commit, or a new commit
// on a branch (base is then the new commit, not yet stored).
type target struct {
	base meta.CommitRow
	open bool
}

func (a *API) writeTarget(ctx context.Context, ref tusk.Ref) (target, error) {
	project := ref.ProjectName()
	var t target
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		if _, err := tx.Repo(ctx, project, ref.Repo); err != nil {
			return err
		}
		if ref.ID != "" {
			c, err := a.resolve(ctx, tx, ref)
			if err != nil {
				return err
			}
			if c.State == tusk.CommitFinished {
				return tusk.Errorf(tusk.KindConflict, "commit %s@%s is finished and cannot change", c.Repo, c.ID).
					WithHint("write to its branch to make a new commit")
			}
			t = target{c, true}
			return nil
		}
		c, err := a.newCommit(ctx, tx, project, ref.Repo, ref.Branch, "")
		if err != nil {
			if tusk.KindOf(err) != tusk.KindConflict {
				return err
			}
			// The head is open: write into it.
			b, berr := tx.Branch(ctx, project, ref.Repo, ref.Branch)
			if berr != nil {
				return berr
			}
			head, herr := tx.Commit(ctx, project, ref.Repo, b.Head)
			if herr != nil {
				return herr
			}
			t = target{head, true}
			return nil
		}
		t = target{c, false}
		return nil
	})
	return t, err
}

// commitTree makes root the content of the target in one transaction:
// the open commit's new root, or a new finished commit that becomes the
// branch head. It reports errRaced when another writer got there first.
func (a *API) commitTree(ctx context.Context, ref tusk.Ref, tg target, root string, st fileset.NodeStore) (tusk.Commit, error) {
	base, open := tg.base, tg.open
	project := ref.ProjectName()
	files, size, err := fileset.Stat(ctx, st, root)
	if err != nil {
		return tusk.Commit{}, err
	}
	var out tusk.Commit
	var evs []tusk.CommitEvent
	err = a.db.Update(ctx, func(tx *meta.Tx) error {
		evs = nil
		if open {
			ok, err := tx.UpdateRootIf(ctx, project, base.Repo, base.ID, base.Root, root, size, files)
			if err != nil {
				return err
			}
			if !ok {
				return errRaced
			}
			c, err := tx.Commit(ctx, project, base.Repo, base.ID)
			if err != nil {
				return err
			}
			out = c.Commit
			return nil
		}
		if err := checkHead(ctx, tx, ref, base.Parent); err != nil {
			return err
		}
		c := base
		c.Root, c.SizeBytes, c.Files = root, size, files
		var err error
		if evs, err = a.landCommit(ctx, tx, ref, &c); err != nil {
			return err
		}
		out = c.Commit
		return nil
	})
	if err != nil {
		return tusk.Commit{}, err
	}
	a.publish(ctx, evs...)
	return out, nil
}

// checkHead reports errRaced unless the head of ref's branch is parent
// ("" for a branch that does not exist yet).
func checkHead(ctx context.Context, tx *meta.Tx, ref tusk.Ref, parent string) error {
	b, err := tx.Branch(ctx, ref.ProjectName(), ref.Repo, ref.Branch)
	switch {
	case err == nil && b.Head != parent:
		return errRaced
	case err != nil && tusk.KindOf(err) == tusk.KindNotFound && parent != "":
		return errRaced
	case err != nil && tusk.KindOf(err) != tusk.KindNotFound:
		return err
	}
	return nil
}

// landCommit finishes c, a new commit of ref's branch whose parent is the
// branch's head, stores it and makes it the head, within tx: the commits
// downstream and the triggers it fires follow. It returns the events to
// publish once tx commits.
func (a *API) landCommit(ctx context.Context, tx *meta.Tx, ref tusk.Ref, c *meta.CommitRow) ([]tusk.CommitEvent, error) {
	t := now()
	project := ref.ProjectName()
	c.State, c.Finished, c.Started = tusk.CommitFinished, &t, t
	if err := tx.InsertCommit(ctx, project, *c); err != nil {
		return nil, err
	}
	if err := tx.PutBranch(ctx, project, ref.Repo, ref.Branch, c.ID, t); err != nil {
		return nil, err
	}
	more, err := a.propagate(ctx, tx, project, ref.Repo, ref.Branch, c.ID, t)
	if err != nil {
		return nil, err
	}
	fired, err := a.fireTriggers(ctx, tx, ref.Branch, *c, c.ID)
	if err != nil {
		return nil, err
	}
	return append(append([]tusk.CommitEvent{{Type: "finished", Commit: c.Commit}}, more...), fired...), nil
}

// changeSet is a batch of tree changes resolved from ordered operations,
// with what the replay of the modification needs to know of them.
type changeSet struct {
	clearAll bool // a delete of "/" before every surviving put
	list     []fileset.Change
	// appends holds the paths whose put extends the content they had
	// before the modification, with the appended pieces.
	appends map[string][]fileset.File
	deletes []string // every path deleted, "/" included
	// reads and readsHead: what copies read from the branch written.
	reads     map[string]bool
	readsHead bool
}

func (cs changeSet) root(base string) string {
	if cs.clearAll {
		return ""
	}
	return base
}

// changes resolves ordered operations into one sorted batch: a put is
// dropped by a later delete that covers it, appends chain onto earlier
// writes (or the existing file), and copies expand into puts. It sorts
// indexes, not operations, to keep memory low on million-file batches.
// ref is the branch or commit written, rp the replay of the modification
// so far, and base the working tree the batch applies to.
func (a *API) changes(ctx context.Context, st fileset.NodeStore, ref tusk.Ref, rp *replay, base string, ops []tusk.FileOp) (changeSet, error) {
	cs := changeSet{appends: map[string][]fileset.File{}, reads: map[string]bool{}}
	deletes := map[string]int{} // path -> seq of the last delete of it
	var expanded []tusk.FileOp  // puts made by copies
	var expandedSeq []int
	var puts []int // indexes into ops, then into expanded (offset by len(ops))
	for i, op := range ops {
		switch op.Op {
		case tusk.OpDelete:
			deletes[op.Path] = i
		case tusk.OpPut:
			puts = append(puts, i)
		case tusk.OpCopy:
			more, err := a.expandCopyFor(ctx, &cs, ref, rp, op)
			if err != nil {
				return cs, err
			}
			for _, e := range more {
				if e.Path == "/" {
					return cs, tusk.Errorf(tusk.KindInvalid, "cannot copy the file %s to \"/\": give a file path as the destination", op.Src)
				}
				puts = append(puts, len(ops)+len(expanded))
				expanded = append(expanded, e)
				expandedSeq = append(expandedSeq, i)
			}
		}
	}
	opAt := func(k int) *tusk.FileOp {
		if k < len(ops) {
			return &ops[k]
		}
		return &expanded[k-len(ops)]
	}
	seqOf := func(k int) int {
		if k < len(ops) {
			return k
		}
		return expandedSeq[k-len(ops)]
	}
	// lastDelete returns the seq of the last delete covering p, or -1.
	lastDelete := func(p string) int {
		best := -1
		for q := p; ; {
			if s, ok := deletes[q]; ok && s > best {
				best = s
			}
			if q == "/" {
				return best
			}
			i := strings.LastIndexByte(q, '/')
			q = q[:max(i, 1)]
		}
	}
	for p := range deletes {
		cs.deletes = append(cs.deletes, p)
	}
	if s, ok := deletes["/"]; ok {
		cs.clearAll = true
		puts = slices.DeleteFunc(puts, func(k int) bool { return seqOf(k) < s })
		delete(deletes, "/")
	}
	slices.SortStableFunc(puts, func(x, y int) int { return strings.Compare(opAt(x).Path, opAt(y).Path) })
	for p := range deletes {
		cs.list = append(cs.list, fileset.Change{Path: p, Op: fileset.OpDeletePrefix})
	}
	for i := 0; i < len(puts); {
		j := i
		for j < len(puts) && opAt(puts[j]).Path == opAt(puts[i]).Path {
			j++
		}
		group := puts[i:j]
		i = j
		p := opAt(group[0]).Path
		d := lastDelete(p)
		var f *fileset.File
		var relative bool // f extends p's content before the modification
		var appended []fileset.File
		for _, k := range group {
			op := opAt(k)
			if seqOf(k) < d {
				continue
			}
			add := toFile(*op)
			if !op.Append {
				f, relative, appended = &add, false, nil
				continue
			}
			if f == nil && d < 0 && !cs.clearAll {
				old, ok, err := fileset.Get(ctx, st, base, p)
				if err != nil {
					return cs, err
				}
				if ok {
					f = &old
				}
				if relative, err = rp.relativeBase(ctx, st, base, p, old, ok); err != nil {
					return cs, err
				}
			}
			if relative {
				appended = append(appended, add)
			}
			if f == nil {
				f = &add
			} else {
				f = appendFile(*f, add)
			}
		}
		if f != nil {
			cs.list = append(cs.list, fileset.Change{Path: p, Op: fileset.OpPut, File: *f})
			if relative {
				cs.appends[p] = appended
			}
		}
	}
	slices.SortStableFunc(cs.list, func(x, y fileset.Change) int { return strings.Compare(x.Path, y.Path) })
	return cs, nil
}

// expandCopyFor expands a copy of the modification of ref whose replay
// is rp. The source is of ref's project unless it names its own. A copy
// from ref itself reads the tree the modification started from, whatever
// moved since, and is noted in cs so that a replay onto another head
// that changed it fails.
func (a *API) expandCopyFor(ctx context.Context, cs *changeSet, ref tusk.Ref, rp *replay, op tusk.FileOp) ([]tusk.FileOp, error) {
	src, err := tusk.ParseRef(op.Src)
	if err != nil {
		return nil, err
	}
	src.Project = cmp.Or(src.Project, ref.ProjectName())
	if src.Project != ref.ProjectName() || src.Repo != ref.Repo || src.Branch != ref.Branch || src.ID != ref.ID || src.At > 0 {
		return a.expandCopy(ctx, op, src)
	}
	if src.Up > 0 {
		cs.readsHead = true
		return a.expandCopy(ctx, op, src)
	}
	if src.Path, err = tusk.CleanPath(src.Path); err != nil {
		return nil, err
	}
	cs.reads[src.Path] = true
	return a.expandCopyAt(ctx, op, src, rp.from)
}

func toFile(op tusk.FileOp) fileset.File {
	f := fileset.File{Path: op.Path, Size: op.Size, Hash: op.Hash, Refs: make([]fileset.DataRef, len(op.Refs))}
	for i, r := range op.Refs {
		f.Refs[i] = fileset.DataRef{Chunk: r.Chunk, Offset: r.Offset, Length: r.Length}
	}
	if op.Size == 0 {
		f.Hash = chunk.ID(nil)
	}
	return f
}

// appendFile returns f followed by add. The hash of an appended file is
// a chain hash, BLAKE3(old hash || appended hash), not the BLAKE3 of the
// whole content: computing that would mean reading the file back on
// every append (see docs/format.md).
func appendFile(f, add fileset.File) *fileset.File {
	out := fileset.File{Path: f.Path, Size: f.Size + add.Size, Refs: append(slices.Clip(f.Refs), add.Refs...)}
	switch {
	case add.Size == 0:
		out.Hash = f.Hash
	case f.Size == 0:
		out.Hash = add.Hash
	default:
		out.Hash = chunk.ID([]byte(f.Hash + add.Hash))
	}
	return &out
}
