package worker

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Between datums the datum root is emptied: its inputs and output go,
// anything else (/tmp, ...) persists, as in Pachyderm. Emptying it by
// reading every directory and removing every entry found costs a datum
// of one file a dozen system calls; where the worker knows all the root
// can hold, it removes just that (tidy), and reads the directories only
// when it does not (clean).

// A layout is what the worker put under the datum root for the datum in
// hand, and what the walk of its output found there.
type layout struct {
	// exact says that the root holds nothing else (see start).
	exact bool
	dirs  []string // the directories at the top of the root: out and the inputs
	files []string // the input files, as paths under the root
	// out is what the walk of out found, parents first; walked says the
	// walk went through the whole of it.
	out    []string
	walked bool
}

// start begins the layout of a datum in a root emptied but for the
// directories dirs. With exact, the root will hold no more than what the
// worker records: the datum's command runs as a user who may write in
// /pfs/out and nowhere else of the root (another user than the worker,
// not root; the root and what the worker puts there are the worker's,
// not writable by others, see rootIsOurs), its inputs are none lazy
// (whose named pipes the worker does not record), and it ends before the
// next datum is laid out (a datum-batching command runs on).
func (l *layout) start(dirs []string, exact bool) {
	l.exact = exact
	l.dirs = append(l.dirs[:0], dirs...)
	l.files = l.files[:0]
	l.out, l.walked = l.out[:0], false
}

// placeInput writes an input file at name, a path under the datum root,
// and records it.
func (w *worker) placeInput(name string, r io.Reader) error {
	w.lay.files = append(w.lay.files, name)
	return writeFile(filepath.Join(w.cfg.Root, filepath.FromSlash(name)), r)
}

// prepare empties the datum root for the next datum, keeping (or making)
// the directories named in keep, which it needs.
func (w *worker) prepare(keep []string) error {
	w.lazy.release()
	if w.lay.exact && w.tidy(keep) == nil {
		return nil
	}
	if err := w.clean(keep); err != nil {
		return err
	}
	for _, name := range keep {
		if err := os.MkdirAll(filepath.Join(w.cfg.Root, name), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// tidy empties the datum root of an exact layout by removing what it
// records: the input files and the directories above them, what the walk
// found in out (or, without a whole walk, everything in out), and the
// directories at the top that keep does not name. It fails if anything
// else is there (a directory to remove is not empty), and prepare then
// cleans.
func (w *worker) tidy(keep []string) error {
	l := &w.lay
	var dirs []string
	for _, f := range l.files {
		if err := removeEntry(w.cfg.Root, f); err != nil {
			return err
		}
		for d := path.Dir(f); strings.Contains(d, "/"); d = path.Dir(d) {
			dirs = append(dirs, d)
		}
	}
	// Deepest first: a directory after those under it.
	slices.SortFunc(dirs, func(a, b string) int { return strings.Compare(b, a) })
	for _, d := range slices.Compact(dirs) {
		if err := removeEntry(w.cfg.Root, d); err != nil {
			return err
		}
	}
	if l.walked {
		for _, p := range slices.Backward(l.out) {
			if err := removeEntry(w.cfg.Root, p); err != nil {
				return err
			}
		}
	} else if err := emptyDir(filepath.Join(w.cfg.Root, "out")); err != nil {
		return err
	}
	for _, d := range l.dirs {
		if !slices.Contains(keep, d) {
			if err := removeEntry(w.cfg.Root, d); err != nil {
				return err
			}
		}
	}
	for _, d := range keep {
		if !slices.Contains(l.dirs, d) {
			if err := os.Mkdir(filepath.Join(w.cfg.Root, d), 0o755); err != nil {
				return err
			}
		}
	}
	return nil
}

// removeEntry removes the file, or empty directory, at p under root; one
// already gone is no error.
func removeEntry(root, p string) error {
	if err := os.Remove(filepath.Join(root, filepath.FromSlash(p))); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// clean empties the datum root by reading it: the directories named in
// keep, which the next datum needs, are emptied rather than removed,
// which saves making them again.
func (w *worker) clean(keep []string) error {
	entries, err := os.ReadDir(w.cfg.Root)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		p := filepath.Join(w.cfg.Root, e.Name())
		if e.IsDir() && slices.Contains(keep, e.Name()) && emptyDir(p) == nil {
			continue
		}
		errs = append(errs, os.RemoveAll(p))
	}
	return errors.Join(errs...)
}

// emptyDir removes everything in dir.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// writeFile writes r to a new file at dst, making its directory if need
// be. It opens the file with open(2) itself: os.OpenFile would try, with
// four fcntl and an epoll_ctl, to make the regular file pollable, which
// was a sixth of the system calls of a datum of one file.
func writeFile(dst string, r io.Reader) error {
	fd, err := create(dst)
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(filepath.Dir(dst), 0o755); err == nil {
			fd, err = create(dst)
		}
	}
	if err != nil {
		return &os.PathError{Op: "open", Path: dst, Err: err}
	}
	_, err = io.Copy(fdWriter(fd), r)
	if cerr := unix.Close(fd); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return &os.PathError{Op: "write", Path: dst, Err: err}
	}
	return nil
}

// create opens the file at p for writing, making or truncating it.
func create(p string) (int, error) {
	for {
		fd, err := unix.Open(p, unix.O_CREAT|unix.O_WRONLY|unix.O_TRUNC|unix.O_CLOEXEC, 0o644)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// An fdWriter writes to a file descriptor.
type fdWriter int

func (w fdWriter) Write(b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := unix.Write(int(w), b[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		if m == 0 {
			return n, io.ErrShortWrite
		}
		n += m
	}
	return n, nil
}

// rootIsOurs reports whether the datum root at dir is a directory of this
// process's user that no one else may write in.
func rootIsOurs(dir string) bool {
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() || fi.Mode().Perm()&0o022 != 0 {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}
