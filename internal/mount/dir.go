package mount

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/tuskdata/tusk/internal/tusk"
)

// repo is one mounted repo: the commit it shows.
type repo struct {
	data   *source
	name   string
	ref    string    // the branch or commit asked for
	commit string    // the pinned commit, or "" when the branch had none
	time   time.Time // the commit's, for files' times
	top    *fs.Inode // the repo's directory

	mu      sync.Mutex
	deletes []string // paths of the commit that a writable mount removed, in order
}

// pin resolves a spec's branch to a commit. A spec without a ref means
// the repo's master branch, or an empty directory when the repo has none
// yet, as pachctl shows it.
func pin(ctx context.Context, data *source, s Spec) (*repo, error) {
	r := &repo{data: data, name: s.Repo, ref: s.Ref}
	if r.ref == "" {
		r.ref = "master"
	}
	c, err := data.c.InspectCommit(ctx, r.name+"@"+r.ref)
	switch {
	case err == nil && data.write && c.Branch != r.ref:
		return nil, tusk.Errorf(tusk.KindInvalid, "mount %s@%s: a writable mount commits to a branch, and %s is not one of %s", r.name, r.ref, r.ref, r.name)
	case err == nil:
		r.commit, r.time = c.ID, c.Started
		if c.Finished != nil {
			r.time = *c.Finished
		}
	case s.Ref == "" && tusk.KindOf(err) == tusk.KindNotFound:
		if _, err := data.c.InspectRepo(ctx, r.name); err != nil {
			return nil, fmt.Errorf("mount %s: %w", r.name, err)
		}
	default:
		return nil, fmt.Errorf("mount %s@%s: %w", r.name, r.ref, err)
	}
	return r, nil
}

// fileRef names a path of the pinned commit for the API.
func (r *repo) fileRef(p string) string {
	return r.name + "@" + r.commit + ":" + p
}

// root is the mount's top directory: one directory per repo.
type root struct {
	fs.Inode
	repos []*repo
}

var _ fs.NodeOnAdder = (*root)(nil)

// OnAdd makes the repos' directories.
func (n *root) OnAdd(ctx context.Context) {
	for _, r := range n.repos {
		r.top = n.NewPersistentInode(ctx, &dir{repo: r, path: "/"}, fs.StableAttr{Mode: fuse.S_IFDIR})
		n.AddChild(r.name, r.top, false)
	}
}

// Getattr describes the top directory.
func (n *root) Getattr(ctx context.Context, fh fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	out.Mode = fuse.S_IFDIR | 0o555
	return 0
}

// dir is a directory of a repo's commit. Its entries are listed from the
// server the first time someone looks into it, and kept: the commit does
// not change.
type dir struct {
	fs.Inode
	repo *repo
	path string // in the pinned commit, "/" for the repo's top; "" for a directory made here

	mu     sync.Mutex
	loaded bool // its entries are in the inode tree
}

var (
	_ fs.NodeLookuper  = (*dir)(nil)
	_ fs.NodeReaddirer = (*dir)(nil)
	_ fs.NodeGetattrer = (*dir)(nil)
)

// load lists the directory's entries into the inode tree, once.
func (d *dir) load(ctx context.Context) syscall.Errno {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.loaded || d.repo.commit == "" || d.path == "" {
		return 0
	}
	err := d.repo.data.c.ListFiles(ctx, d.repo.fileRef(d.path), "", 0, func(fi tusk.FileInfo) error {
		name := path.Base(fi.Path)
		var node fs.InodeEmbedder
		mode := uint32(fuse.S_IFREG)
		if fi.Type == "dir" {
			node, mode = &dir{repo: d.repo, path: path.Join(d.path, name)}, fuse.S_IFDIR
		} else {
			node = &file{repo: d.repo, origin: fi.Path, size: fi.SizeBytes, hash: fi.Hash}
		}
		d.AddChild(name, d.NewPersistentInode(ctx, node, fs.StableAttr{Mode: mode}), false)
		return nil
	})
	if err != nil {
		return errnoOf(ctx, "list "+d.repo.fileRef(d.path), err)
	}
	d.loaded = true
	return 0
}

// Lookup finds an entry of the directory.
func (d *dir) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	if errno := d.load(ctx); errno != 0 {
		return nil, errno
	}
	ch := d.GetChild(name)
	if ch == nil {
		return nil, syscall.ENOENT
	}
	if a, ok := ch.Operations().(fs.NodeGetattrer); ok {
		var attr fuse.AttrOut
		a.Getattr(ctx, nil, &attr)
		out.Attr = attr.Attr
	}
	return ch, 0
}

// Readdir lists the directory's entries, sorted by name.
func (d *dir) Readdir(ctx context.Context) (fs.DirStream, syscall.Errno) {
	if errno := d.load(ctx); errno != 0 {
		return nil, errno
	}
	children := d.Children()
	entries := make([]fuse.DirEntry, 0, len(children))
	for name, ch := range children {
		entries = append(entries, fuse.DirEntry{Name: name, Mode: ch.Mode(), Ino: ch.StableAttr().Ino})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	return fs.NewListDirStream(entries), 0
}

// Getattr describes the directory.
func (d *dir) Getattr(ctx context.Context, fh fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	out.Mode = fuse.S_IFDIR | 0o555
	if d.repo.data.write {
		out.Mode = fuse.S_IFDIR | 0o755
	}
	out.Nlink = 2
	out.SetTimes(nil, &d.repo.time, &d.repo.time)
	return 0
}

// errnoOf logs a failed request to the server and says what the caller
// sees of it: ENOENT for what is not there, EINTR when the caller gave
// up, EIO for the rest.
func errnoOf(ctx context.Context, what string, err error) syscall.Errno {
	switch {
	case tusk.KindOf(err) == tusk.KindNotFound:
		return syscall.ENOENT
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return syscall.EINTR
	}
	slog.Error("mount: "+what, "err", err)
	return syscall.EIO
}
