package pfs

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/tuskdata/tusk/internal/chunk"
	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// commitRoot resolves a reference for reading.
func (a *API) commitRoot(ctx context.Context, ref tusk.Ref) (meta.CommitRow, error) {
	var c meta.CommitRow
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		var err error
		c, err = a.resolve(ctx, tx, ref)
		return err
	})
	return c, err
}

// dirEnd returns the first key after every path under dir.
func dirRange(dir string) (lo, hi string) {
	if dir == "/" {
		return "/", "0" // every path starts with '/', and '0' follows '/'
	}
	return dir + "/", dir + "0"
}

func fileInfo(f fileset.File, commit string) tusk.FileInfo {
	return tusk.FileInfo{Path: f.Path, Type: "file", SizeBytes: f.Size, Hash: f.Hash, Commit: commit}
}

// InspectFile describes a file or directory.
func (a *API) InspectFile(ctx context.Context, ref tusk.Ref) (tusk.FileInfo, error) {
	c, err := a.commitRoot(ctx, ref)
	if err != nil {
		return tusk.FileInfo{}, err
	}
	return a.inspect(ctx, c, ref.Path)
}

func (a *API) inspect(ctx context.Context, c meta.CommitRow, p string) (tusk.FileInfo, error) {
	st := a.nodes
	if p != "/" {
		f, ok, err := fileset.Get(ctx, st, c.Root, p)
		if err != nil {
			return tusk.FileInfo{}, err
		}
		if ok {
			return fileInfo(f, c.ID), nil
		}
	}
	lo, hi := dirRange(p)
	n, size, err := fileset.RangeStats(ctx, st, c.Root, lo, hi)
	if err != nil {
		return tusk.FileInfo{}, err
	}
	if n == 0 && p != "/" {
		return tusk.FileInfo{}, tusk.Errorf(tusk.KindNotFound, "file %q not found in %s@%s", p, c.Repo, c.ID).
			WithHint("list files with: tusk list file %s@%s", c.Repo, c.ID)
	}
	return tusk.FileInfo{Path: p, Type: "dir", SizeBytes: size, Files: n, Commit: c.ID}, nil
}

// ListFiles streams the entries of a directory (one level; directories
// carry the size of everything under them), in path order, starting after
// the entry named after when it is set. Listing a file lists just it.
func (a *API) ListFiles(ctx context.Context, ref tusk.Ref, after string, fn func(tusk.FileInfo) error) error {
	c, err := a.commitRoot(ctx, ref)
	if err != nil {
		return err
	}
	info, err := a.inspect(ctx, c, ref.Path)
	if err != nil {
		return err
	}
	if info.Type == "file" {
		return fn(info)
	}
	st := a.nodes
	lo, hi := dirRange(ref.Path)
	it := fileset.NewIterator(ctx, st, c.Root)
	start := lo
	if after != "" {
		start = after + "\x00"
		if strings.HasSuffix(after, "/") {
			start = strings.TrimSuffix(after, "/") + "0"
		}
	}
	it.Seek(start)
	for {
		f, ok := it.Next()
		if !ok {
			return it.Err()
		}
		if f.Path >= hi {
			return nil
		}
		rest := f.Path[len(lo):]
		slash := strings.IndexByte(rest, '/')
		if slash < 0 {
			if err := fn(fileInfo(f, c.ID)); err != nil {
				return err
			}
			continue
		}
		dir := lo + rest[:slash]
		dlo, dhi := dirRange(dir)
		n, size, err := fileset.RangeStats(ctx, st, c.Root, dlo, dhi)
		if err != nil {
			return err
		}
		if err := fn(tusk.FileInfo{Path: dir + "/", Type: "dir", SizeBytes: size, Files: n, Commit: c.ID}); err != nil {
			return err
		}
		it.Seek(dhi)
	}
}

// WalkFiles streams every file under a path, in path order.
func (a *API) WalkFiles(ctx context.Context, ref tusk.Ref, fn func(fileset.File) error) error {
	t, err := a.Tree(ctx, ref)
	if err != nil {
		return err
	}
	return t.WalkFiles(ctx, ref.Path, fn)
}

// ScanFiles calls fn for the files of the commit ref names whose paths
// are ≥ from, in path order, until fn returns an error (which it
// returns) or the files end; ref's path is not used. fn may return a
// path to go on from instead of the next file: the first at or after it,
// so that a listing skips what it does not show without reading it.
func (a *API) ScanFiles(ctx context.Context, ref tusk.Ref, from string, fn func(fileset.File) (skipTo string, err error)) error {
	c, err := a.commitRoot(ctx, ref)
	if err != nil {
		return err
	}
	it := fileset.NewIterator(ctx, a.nodes, c.Root)
	it.Seek(from)
	for {
		f, ok := it.Next()
		if !ok {
			return it.Err()
		}
		skip, err := fn(f)
		if err != nil {
			return err
		}
		if skip != "" {
			it.Seek(skip)
		}
	}
}

// A Tree is the file tree of a commit, looked up once, to read many paths
// of: the inputs of the datums a worker asks for at once are paths of a
// few commits, and looking the commit up for each cost a read transaction
// per datum.
type Tree struct {
	a    *API
	root string
}

// Tree resolves the commit of ref for reading; ref's path is not used.
func (a *API) Tree(ctx context.Context, ref tusk.Ref) (Tree, error) {
	c, err := a.commitRoot(ctx, ref)
	if err != nil {
		return Tree{}, err
	}
	return Tree{a: a, root: c.Root}, nil
}

// WalkFiles is API.WalkFiles of path p of the tree.
func (t Tree) WalkFiles(ctx context.Context, p string, fn func(fileset.File) error) error {
	return t.a.walk(ctx, t.root, p, fn)
}

func (a *API) walk(ctx context.Context, root, p string, fn func(fileset.File) error) error {
	return walkTree(ctx, a.nodes, root, p, fn)
}

// walkTree calls fn for the file at p in the tree root, or for every file
// under the directory p.
func walkTree(ctx context.Context, st fileset.NodeStore, root, p string, fn func(fileset.File) error) error {
	if p != "/" {
		f, ok, err := fileset.Get(ctx, st, root, p)
		if err != nil {
			return err
		}
		if ok {
			return fn(f)
		}
	}
	lo, hi := dirRange(p)
	it := fileset.NewIterator(ctx, st, root)
	it.Seek(lo)
	for {
		f, ok := it.Next()
		if !ok {
			return it.Err()
		}
		if f.Path >= hi {
			return nil
		}
		if err := fn(f); err != nil {
			return err
		}
	}
}

// OpenFile returns a reader of a file's content from offset on, and the
// file's description.
func (a *API) OpenFile(ctx context.Context, ref tusk.Ref, offset int64) (io.Reader, tusk.FileInfo, error) {
	c, err := a.commitRoot(ctx, ref)
	if err != nil {
		return nil, tusk.FileInfo{}, err
	}
	info, err := a.inspect(ctx, c, ref.Path)
	if err != nil {
		return nil, info, err
	}
	if info.Type != "file" {
		return nil, info, tusk.Errorf(tusk.KindInvalid, "%s is a directory", ref.Path).WithHint("use -r to get a directory")
	}
	f, _, err := fileset.Get(ctx, a.nodes, c.Root, ref.Path)
	if err != nil {
		return nil, info, err
	}
	if offset < 0 || offset > f.Size {
		return nil, info, tusk.Errorf(tusk.KindInvalid, "offset %d is outside %s (%d bytes)", offset, ref.Path, f.Size)
	}
	return a.Content(ctx, f, offset), info, nil
}

// Content returns a reader of a file's content from offset on.
func (a *API) Content(ctx context.Context, f fileset.File, offset int64) io.Reader {
	return &contentReader{ctx: ctx, a: a, refs: f.Refs, skip: offset}
}

type contentReader struct {
	ctx  context.Context
	a    *API
	refs []fileset.DataRef
	skip int64
	buf  []byte
}

func (r *contentReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if len(r.refs) == 0 {
			return 0, io.EOF
		}
		ref := r.refs[0]
		r.refs = r.refs[1:]
		if r.skip >= ref.Length {
			r.skip -= ref.Length
			continue
		}
		data, err := r.a.readChunk(r.ctx, ref.Chunk)
		if err != nil {
			return 0, err
		}
		if ref.Offset+ref.Length > int64(len(data)) {
			return 0, fmt.Errorf("data reference %+v is outside its chunk (%d bytes): %w", ref, len(data), fileset.ErrCorrupt)
		}
		r.buf = data[ref.Offset+r.skip : ref.Offset+ref.Length]
		r.skip = 0
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// expandCopy turns a copy operation, from src (op.Src parsed), into puts
// that reuse the source's data (no bytes are copied), leasing the
// source's chunks.
func (a *API) expandCopy(ctx context.Context, op tusk.FileOp, src tusk.Ref) ([]tusk.FileOp, error) {
	c, err := a.commitRoot(ctx, src)
	if err != nil {
		return nil, err
	}
	return a.expandCopyAt(ctx, op, src, c.Root)
}

// expandCopyAt is expandCopy with the source read from the tree root.
func (a *API) expandCopyAt(ctx context.Context, op tusk.FileOp, src tusk.Ref, root string) ([]tusk.FileOp, error) {
	var out []tusk.FileOp
	seen := map[string]bool{}
	var keys []string
	err := a.walk(ctx, root, src.Path, func(f fileset.File) error {
		dst := op.Path
		if f.Path != src.Path {
			rel := strings.TrimPrefix(f.Path, strings.TrimSuffix(src.Path, "/"))
			dst = strings.TrimSuffix(op.Path, "/") + rel
		}
		o := tusk.FileOp{Op: tusk.OpPut, Path: dst, Append: op.Append, Size: f.Size, Hash: f.Hash}
		for _, r := range f.Refs {
			o.Refs = append(o.Refs, tusk.DataRef{Chunk: r.Chunk, Offset: r.Offset, Length: r.Length})
			if !seen[r.Chunk] {
				seen[r.Chunk] = true
				keys = append(keys, chunk.Key(r.Chunk))
			}
		}
		out = append(out, o)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, tusk.Errorf(tusk.KindNotFound, "copy: %s has no file at %s", src, src.Path)
	}
	for len(keys) > 0 {
		n := min(len(keys), 500)
		if _, err := a.lease(ctx, keys[:n]); err != nil {
			return nil, err
		}
		keys = keys[n:]
	}
	return out, nil
}
