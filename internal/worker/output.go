package worker

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

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

// walkOut adds the tree at dir to an upload as the output path prefix
// dst. A symlink into an input becomes a server-side copy of that input
// file (no data moves); other symlinks are resolved here, inside the
// worker, and their content uploaded.
func (w *worker) walkOut(up uploader, t *tusk.Task, dir, dst string, depth int) error {
	if depth > 16 {
		return fmt.Errorf("%s: too many levels of symbolic links", dir)
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		target := path.Join(dst, filepath.ToSlash(rel))
		switch {
		case d.IsDir():
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			return w.stageLink(up, t, p, target, depth)
		case d.Type().IsRegular():
			return w.putLocal(up, p, target)
		}
		return nil // sockets, devices: not data
	})
}

func (w *worker) putLocal(up uploader, src, target string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	return up.PutFile(target, f, false)
}

// stageLink resolves a symlink in the output.
func (w *worker) stageLink(up uploader, t *tusk.Task, link, target string, depth int) error {
	resolved, err := filepath.EvalSymlinks(link)
	if err != nil {
		return fmt.Errorf("output %s: %w", target, err)
	}
	if src, ok := w.inputSource(t, resolved); ok {
		up.CopyFile(src, target, false)
		return nil
	}
	fi, err := os.Stat(resolved)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return w.walkOut(up, t, resolved, target, depth+1)
	}
	return w.putLocal(up, resolved, target)
}

// inputSource maps a local path inside an input's directory back to
// "repo@commit:/path".
func (w *worker) inputSource(t *tusk.Task, p string) (string, bool) {
	root, err := filepath.EvalSymlinks(w.cfg.Root)
	if err != nil {
		root = w.cfg.Root
	}
	for _, in := range t.Inputs {
		base := filepath.Join(root, in.Name)
		if rel, err := filepath.Rel(base, p); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
			return in.Repo + "@" + in.Commit + ":/" + filepath.ToSlash(rel), true
		}
	}
	return "", false
}
