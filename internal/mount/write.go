package mount

import (
	"context"
	"fmt"
	"os"
	"path"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	"golang.org/x/sys/unix"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
)

// A writable mount changes only its inode tree and its staging
// directory. Its commit is worked out from where things ended up, not
// replayed from what was done: every path of the pinned commit that lost
// what it held (removed, renamed away, replaced) is deleted, then each
// file written is put at its path, and each file or directory that moved
// is copied there from the pinned commit (without moving data), so a
// renamed directory costs one operation however large it is.

var (
	_ fs.NodeCreater  = (*dir)(nil)
	_ fs.NodeMkdirer  = (*dir)(nil)
	_ fs.NodeUnlinker = (*dir)(nil)
	_ fs.NodeRmdirer  = (*dir)(nil)
	_ fs.NodeRenamer  = (*dir)(nil)
)

// complete reports whether the inode tree holds every entry of the
// directory: it was listed, or it has no origin to list.
func (d *dir) complete() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.loaded || d.path == "" || d.repo.commit == ""
}

// pathOf returns the path in the repo that name in d has now.
func (d *dir) pathOf(name string) string {
	return path.Join("/", d.Path(d.repo.top), name)
}

// writable checks that the mount is writable and lists the directory
// before it changes.
func (d *dir) writable(ctx context.Context) syscall.Errno {
	if !d.repo.data.write {
		return syscall.EROFS
	}
	return d.load(ctx)
}

// entry returns the entry name of the directory, which is to change.
func (d *dir) entry(ctx context.Context, name string) (*fs.Inode, syscall.Errno) {
	if errno := d.writable(ctx); errno != 0 {
		return nil, errno
	}
	ch := d.GetChild(name)
	if ch == nil {
		return nil, syscall.ENOENT
	}
	return ch, 0
}

// Create makes a file, staged from the start.
func (d *dir) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	if errno := d.writable(ctx); errno != 0 {
		return nil, nil, 0, errno
	}
	local, err := d.repo.data.stageFile()
	if err != nil {
		return nil, nil, 0, errnoOf(ctx, "stage "+d.pathOf(name), err)
	}
	fd, err := syscall.Open(local, int(flags)&^(syscall.O_CREAT|syscall.O_EXCL|syscall.O_NOCTTY), 0)
	if err != nil {
		return nil, nil, 0, fs.ToErrno(err)
	}
	f := &file{repo: d.repo, staged: local}
	ch := d.NewPersistentInode(ctx, f, fs.StableAttr{Mode: fuse.S_IFREG})
	d.AddChild(name, ch, true)
	var attr fuse.AttrOut
	f.Getattr(ctx, nil, &attr)
	out.Attr = attr.Attr
	return ch, fs.NewLoopbackFile(fd), 0, 0
}

// Mkdir makes a directory. A repo holds no empty directories: one that
// stays empty is gone after the commit.
func (d *dir) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	if errno := d.writable(ctx); errno != 0 {
		return nil, errno
	}
	n := &dir{repo: d.repo}
	ch := d.NewPersistentInode(ctx, n, fs.StableAttr{Mode: fuse.S_IFDIR})
	d.AddChild(name, ch, true)
	var attr fuse.AttrOut
	n.Getattr(ctx, nil, &attr)
	out.Attr = attr.Attr
	return ch, 0
}

// Unlink removes a file.
func (d *dir) Unlink(ctx context.Context, name string) syscall.Errno {
	ch, errno := d.entry(ctx, name)
	if errno != 0 {
		return errno
	}
	d.repo.vacate(ch, d.pathOf(name))
	if f, ok := ch.Operations().(*file); ok {
		if local := f.stagedPath(); local != "" {
			os.Remove(local)
		}
	}
	return 0
}

// Rmdir removes an empty directory.
func (d *dir) Rmdir(ctx context.Context, name string) syscall.Errno {
	ch, errno := d.entry(ctx, name)
	if errno != 0 {
		return errno
	}
	if errno := emptied(ctx, ch); errno != 0 {
		return errno
	}
	d.repo.vacate(ch, d.pathOf(name))
	return 0
}

// emptied checks that a directory holds nothing.
func emptied(ctx context.Context, n *fs.Inode) syscall.Errno {
	sub, ok := n.Operations().(*dir)
	if !ok {
		return syscall.ENOTDIR
	}
	if errno := sub.load(ctx); errno != 0 {
		return errno
	}
	if len(n.Children()) > 0 {
		return syscall.ENOTEMPTY
	}
	return 0
}

// Rename moves an entry within its repo; the inode tree moves it when
// this returns 0. Between repos it is EXDEV, on which mv copies.
func (d *dir) Rename(ctx context.Context, name string, newParent fs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	to, ok := newParent.(*dir)
	if !ok || to.repo != d.repo {
		return syscall.EXDEV
	}
	if flags&^uint32(unix.RENAME_NOREPLACE) != 0 {
		return syscall.EINVAL
	}
	if errno := to.load(ctx); errno != 0 {
		return errno
	}
	ch, errno := d.entry(ctx, name)
	if errno != 0 {
		return errno
	}
	if old := to.GetChild(newName); old != nil {
		switch {
		case old == ch:
			return 0
		case flags&unix.RENAME_NOREPLACE != 0:
			return syscall.EEXIST
		case old.IsDir() && !ch.IsDir():
			return syscall.EISDIR
		case !old.IsDir() && ch.IsDir():
			return syscall.ENOTDIR
		case old.IsDir():
			if errno := emptied(ctx, old); errno != 0 {
				return errno
			}
		}
		to.repo.vacate(old, to.pathOf(newName))
	}
	d.repo.vacate(ch, d.pathOf(name))
	return 0
}

// vacate records that the entry n leaves p: if p is where n is in the
// pinned commit, the commit deletes p.
func (r *repo) vacate(n *fs.Inode, p string) {
	var origin string
	switch o := n.Operations().(type) {
	case *dir:
		origin = o.path
	case *file:
		origin = o.origin
	}
	if origin == p {
		r.mu.Lock()
		r.deletes = append(r.deletes, p)
		r.mu.Unlock()
	}
}

// save commits what was written in the repo to its branch, and returns
// the commit, or false when nothing changed.
func (r *repo) save(ctx context.Context, up Client) (tusk.Commit, bool, error) {
	u, err := up.NewUpload(ctx)
	if err != nil {
		return tusk.Commit{}, false, err
	}
	r.mu.Lock()
	deletes := r.deletes
	r.mu.Unlock()
	for _, p := range deletes {
		u.DeleteFile(p)
	}
	n, err := r.ops(u, r.top, "/")
	if err != nil {
		u.Abort()
		return tusk.Commit{}, false, err
	}
	if n+len(deletes) == 0 {
		u.Abort()
		return tusk.Commit{}, false, nil
	}
	c, err := u.Commit(r.name + "@" + r.ref)
	if err != nil {
		return tusk.Commit{}, false, fmt.Errorf("commit to %s@%s: %w", r.name, r.ref, err)
	}
	return c, true, nil
}

// ops adds to u the puts and copies that bring the entry n to p, and
// returns how many it added.
func (r *repo) ops(u *client.Upload, n *fs.Inode, p string) (int, error) {
	switch o := n.Operations().(type) {
	case *dir:
		if !o.complete() {
			if o.path == p {
				return 0, nil
			}
			u.CopyFile(r.fileRef(o.path), p, false)
			return 1, nil
		}
		total := 0
		for name, ch := range n.Children() {
			k, err := r.ops(u, ch, path.Join(p, name))
			if err != nil {
				return 0, err
			}
			total += k
		}
		return total, nil
	case *file:
		if local := o.stagedPath(); local != "" {
			f, err := os.Open(local)
			if err != nil {
				return 0, fmt.Errorf("put %s: %w", p, err)
			}
			defer f.Close()
			return 1, u.PutFile(p, f, false)
		}
		if o.origin == p {
			return 0, nil
		}
		u.CopyFile(r.fileRef(o.origin), p, false)
		return 1, nil
	}
	return 0, nil
}
