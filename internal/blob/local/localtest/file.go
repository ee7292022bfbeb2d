package localtest

import (
	"fmt"
	"io/fs"
	"slices"
	"time"
)

// file is a file of a CrashFS open for writing.
type file struct {
	c      *CrashFS
	n      *node
	name   string
	gen    int
	closed bool
}

// usable returns an error if f was closed or died in a crash.
func (f *file) usable(op Op) error {
	switch {
	case f.closed:
		return &fs.PathError{Op: string(op), Path: f.name, Err: fs.ErrClosed}
	case f.gen != f.c.gen:
		return &fs.PathError{Op: string(op), Path: f.name, Err: fmt.Errorf("%w: opened before a crash", fs.ErrClosed)}
	}
	return nil
}

func (f *file) Write(p []byte) (int, error) {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if err := f.c.inject(OpWrite, f.name); err != nil {
		return 0, err
	}
	if err := f.usable(OpWrite); err != nil {
		return 0, err
	}
	f.n.data = append(f.n.data, p...)
	f.n.modTime = time.Now()
	return len(p), nil
}

func (f *file) Sync() error {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if err := f.c.inject(OpSync, f.name); err != nil {
		return err
	}
	if err := f.usable(OpSync); err != nil {
		return err
	}
	f.n.durData = slices.Clone(f.n.data)
	f.n.durModTime = f.n.modTime
	return nil
}

func (f *file) Close() error {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if err := f.c.inject(OpClose, f.name); err != nil {
		return err
	}
	if err := f.usable(OpClose); err != nil {
		return err
	}
	f.closed = true
	return nil
}
