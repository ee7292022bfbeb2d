package local

import (
	"io"
	"io/fs"
	"os"
)

// FS is the file system the store works on. Names are paths as the
// operating system writes them (filepath). Errors for missing files must
// satisfy errors.Is(err, fs.ErrNotExist).
type FS interface {
	// Create creates a new file for writing; it fails if name exists.
	Create(name string) (File, error)
	// Rename atomically replaces newname, if it exists, with oldname.
	Rename(oldname, newname string) error
	// Remove removes a file or an empty directory.
	Remove(name string) error
	// MkdirAll creates a directory and any missing parents.
	MkdirAll(name string) error
	// ReadDir returns a directory's entries sorted by name.
	ReadDir(name string) ([]fs.DirEntry, error)
	// ReadFile returns a file's content.
	ReadFile(name string) ([]byte, error)
	// ReadRange returns the n bytes of a file at offset off; fewer if
	// the file ends before.
	ReadRange(name string, off int64, n int) ([]byte, error)
	// Stat describes a file or directory.
	Stat(name string) (fs.FileInfo, error)
	// SyncDir makes the directory's entries (creations, renames and
	// removals in it) durable.
	SyncDir(name string) error
	// SyncFile makes the content of an existing file durable.
	SyncFile(name string) error
}

// File is a file open for writing.
type File interface {
	io.Writer
	// Sync makes the content written so far durable.
	Sync() error
	Close() error
}

// OS is the operating system's file system.
type OS struct{}

var _ FS = OS{}

// Create implements FS.
func (OS) Create(name string) (File, error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Rename implements FS.
func (OS) Rename(oldname, newname string) error { return os.Rename(oldname, newname) }

// Remove implements FS.
func (OS) Remove(name string) error { return os.Remove(name) }

// MkdirAll implements FS.
func (OS) MkdirAll(name string) error { return os.MkdirAll(name, 0o755) }

// ReadDir implements FS.
func (OS) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(name) }

// ReadFile implements FS.
func (OS) ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }

// ReadRange implements FS.
func (OS) ReadRange(name string, off int64, n int) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, n)
	m, err := f.ReadAt(buf, off)
	if err == io.EOF {
		err = nil
	}
	return buf[:m], err
}

// Stat implements FS.
func (OS) Stat(name string) (fs.FileInfo, error) { return os.Stat(name) }

// SyncDir implements FS.
func (OS) SyncDir(name string) error { return syncPath(name) }

// SyncFile implements FS.
func (OS) SyncFile(name string) error { return syncPath(name) }

// syncPath opens a file or directory and fsyncs it.
func syncPath(name string) error {
	d, err := os.Open(name)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return err
	}
	return d.Close()
}
