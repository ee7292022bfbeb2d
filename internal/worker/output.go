package worker

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/tuskdata/tusk/internal/tusk"
)

// uploader is the part of a client upload that staging uses.
type uploader interface {
	PutFile(path string, r io.Reader, appendTo bool) error
	CopyFile(src, path string, appendTo bool)
}

// countingUploader counts the operations added to an upload (one per
// call, failed or not), so that each datum of a set knows its own.
type countingUploader struct {
	up uploader
	n  int
}

func (c *countingUploader) PutFile(path string, r io.Reader, appendTo bool) error {
	c.n++
	return c.up.PutFile(path, r, appendTo)
}

func (c *countingUploader) CopyFile(src, path string, appendTo bool) {
	c.n++
	c.up.CopyFile(src, path, appendTo)
}

// The output is read through the datum root opened as an os.Root: every
// path is resolved inside it, symbolic links included, so that nothing
// outside the root (/pfs) is read, however user code (still running, with
// datum batching) changes the tree meanwhile. Symbolic links are resolved
// by resolveLink, inside the root too, and may lead only into an input
// (a server-side copy: no data moves) or into /pfs/out (its content is
// uploaded); any other link fails the datum, naming it.

// maxLinkDepth bounds the directories reached through links in the output
// that a walk enters, one inside another.
const maxLinkDepth = 16

// walkOut adds the tree at dir, a path under the datum root, to an upload
// as the output path prefix dst; with found, it appends there the paths
// it walks through under dir, parents first.
func (w *worker) walkOut(up uploader, t *tusk.Task, dir, dst string, depth int, found *[]string) error {
	return fs.WalkDir(w.root.FS(), dir, func(p string, d fs.DirEntry, err error) error {
		target := path.Join(dst, strings.TrimPrefix(p, dir))
		if err != nil {
			return fmt.Errorf("output %s: %w", target, err)
		}
		if found != nil && p != dir {
			*found = append(*found, p)
		}
		switch {
		case d.IsDir():
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			return w.stageLink(up, t, p, target, depth)
		case d.Type().IsRegular():
			return w.putLocal(up, t, p, target)
		}
		return nil // sockets, devices, pipes: not data
	})
}

// putLocal uploads the regular file at p, a path under the datum root, as
// target. A file that is no longer regular (user code replaced it) is
// skipped, as the walk would have; opening without blocking keeps a named
// pipe from holding the worker. When the command ran as another user than
// the worker, a file it does not own is refused: user code cannot make
// one but by a hard link, to a file outside /pfs.
func (w *worker) putLocal(up uploader, t *tusk.Task, p, target string) error {
	f, err := w.root.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return fmt.Errorf("output %s: %w", target, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("output %s: %w", target, err)
	}
	if !fi.Mode().IsRegular() {
		return nil
	}
	as, err := w.runAs(t)
	if err != nil {
		return err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && as != nil && st.Uid != as.cred.Uid {
		return fmt.Errorf("output %s belongs to uid %d, not to uid %d that the command ran as: /pfs/out may hold only files the command made, not hard links to others'",
			target, st.Uid, as.cred.Uid)
	}
	return up.PutFile(target, f, false)
}

// stageLink adds the symbolic link at p, a path under the datum root, as
// target: a copy of the input file it leads to, or the content of the
// file or directory in /pfs/out it leads to.
func (w *worker) stageLink(up uploader, t *tusk.Task, p, target string, depth int) error {
	to, err := w.resolveLink(p)
	if err != nil {
		return fmt.Errorf("output %s: %w", target, err)
	}
	if src, ok := inputSource(t, to); ok {
		up.CopyFile(src, target, false)
		return nil
	}
	top, _, _ := strings.Cut(to, "/")
	if top != "out" && !isInput(t, top) {
		return fmt.Errorf("output %s is a symbolic link to %s, which is neither in an input nor in %s",
			target, w.shown(to), w.shown("out"))
	}
	fi, err := w.root.Stat(to)
	if err != nil {
		return fmt.Errorf("output %s: %w", target, err)
	}
	if !fi.IsDir() {
		return w.putLocal(up, t, to, target)
	}
	if to == "out" || strings.HasPrefix(p, to+"/") {
		return fmt.Errorf("output %s is a symbolic link to %s, a directory that holds the link itself", target, w.shown(to))
	}
	if depth >= maxLinkDepth {
		return fmt.Errorf("output %s: %w", target, syscall.ELOOP)
	}
	return w.walkOut(up, t, to, target, depth+1, nil)
}

// maxLinkHops bounds the links followed to resolve one, as Linux does.
const maxLinkHops = 40

// outside is the error of a link whose way, what, leads out of the datum
// root.
func (w *worker) outside(what string) error {
	return fmt.Errorf("%s leads out of %s: a link in %s may point only into an input or into %[3]s", what, w.cfg.Root, w.shown("out"))
}

// resolveLink returns the path under the datum root that the symbolic
// link at p (a path under it) leads to, through any chain of links, as
// the kernel would resolve it with the root as /pfs; it fails if the
// way leaves the root, by an absolute link elsewhere or by "..".
func (w *worker) resolveLink(p string) (string, error) {
	dir := strings.Split(path.Dir(p), "/") // the resolved part of the way
	var todo []string                      // what is left of it
	follow := func(link string) error {
		target, err := w.root.Readlink(link)
		if err != nil {
			return err
		}
		if path.IsAbs(target) {
			rel, ok := w.underRoot(target)
			if !ok {
				return w.outside("symbolic link to " + target)
			}
			dir, target = nil, rel
		}
		todo = append(strings.Split(target, "/"), todo...)
		return nil
	}
	if err := follow(p); err != nil {
		return "", err
	}
	for hops := 1; len(todo) > 0; {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(dir) == 0 {
				return "", w.outside("symbolic link through ..")
			}
			dir = dir[:len(dir)-1]
			continue
		}
		next := path.Join(path.Join(dir...), c)
		fi, err := w.root.Lstat(next)
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			dir = append(dir, c)
			continue
		}
		if hops++; hops > maxLinkHops {
			return "", &os.PathError{Op: "resolve", Path: w.shown(p), Err: syscall.ELOOP}
		}
		if err := follow(next); err != nil {
			return "", err
		}
	}
	return path.Join(dir...), nil
}

// underRoot maps an absolute path inside the datum root to a path under
// the root ("" for the root itself).
func (w *worker) underRoot(p string) (string, bool) {
	p = path.Clean(p)
	for _, root := range w.rootPaths {
		if p == root {
			return "", true
		}
		if rel, ok := strings.CutPrefix(p, root+"/"); ok {
			return rel, true
		}
	}
	return "", false
}

// shown returns how user code sees the path p under the datum root.
func (w *worker) shown(p string) string {
	return path.Join(w.cfg.Root, p)
}

// isInput reports whether name is the directory of one of t's inputs.
func isInput(t *tusk.Task, name string) bool {
	for _, in := range t.Inputs {
		if in.Name == name {
			return true
		}
	}
	return false
}

// inputSource maps a path under the datum root inside an input's
// directory (not the directory itself) back to "repo@commit:/path".
func inputSource(t *tusk.Task, p string) (string, bool) {
	name, rel, ok := strings.Cut(p, "/")
	if !ok {
		return "", false
	}
	for _, in := range t.Inputs {
		if in.Name == name {
			return in.Source("/" + rel), true
		}
	}
	return "", false
}

// rootPaths returns the absolute paths of the datum root that a link may
// name: root as given and, if it differs, with its links resolved.
func rootPaths(root string) []string {
	paths := []string{filepath.Clean(root)}
	if real, err := filepath.EvalSymlinks(root); err == nil && real != paths[0] {
		paths = append(paths, real)
	}
	return paths
}
