package localtest

import (
	"errors"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/tuskdata/tusk/internal/blob/local"
)

// CrashFS is an in-memory local.FS that tracks what is durable. A file's
// content is durable once its File.Sync returns; a directory's entries
// (files and directories created, renamed or removed in it) once SyncDir
// of that directory returns. Crash throws away everything else, as a power
// loss on a pessimistic file system would.
//
// Paths are cleaned and taken from the root "/". CrashFS is safe for
// concurrent use.
type CrashFS struct {
	mu    sync.Mutex
	root  *node
	gen   int // incremented by Crash: older file handles are dead
	after int // operations left before all fail; <0: no limit
	fail  func(op Op, name string) bool
}

var _ local.FS = (*CrashFS)(nil)

// NewCrashFS returns an empty file system, holding only its root.
func NewCrashFS() *CrashFS {
	return &CrashFS{root: newDir(), after: -1}
}

// Crash simulates a power loss and a reboot: every change that was not
// made durable is undone, files open before are dead, and the faults set
// by FailAfter and FailIf are lifted.
func (c *CrashFS) Crash() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.after = -1
	c.fail = nil
	c.root.revert()
}

// split cleans name and returns its parent's path and its base name.
func split(name string) (dir, base string) {
	name = filepath.Clean("/" + name)
	return filepath.Dir(name), filepath.Base(name)
}

// lookup returns the node at name, or an *fs.PathError for op.
func (c *CrashFS) lookup(op Op, name string) (*node, error) {
	n := c.root
	for part := range strings.SplitSeq(strings.Trim(filepath.Clean("/"+name), "/"), "/") {
		if part == "" {
			break
		}
		if !n.dir {
			return nil, &fs.PathError{Op: string(op), Path: name, Err: syscall.ENOTDIR}
		}
		child, ok := n.entries[part]
		if !ok {
			return nil, &fs.PathError{Op: string(op), Path: name, Err: fs.ErrNotExist}
		}
		n = child
	}
	return n, nil
}

// lookupDir returns the directory at name.
func (c *CrashFS) lookupDir(op Op, name string) (*node, error) {
	n, err := c.lookup(op, name)
	if err != nil {
		return nil, err
	}
	if !n.dir {
		return nil, &fs.PathError{Op: string(op), Path: name, Err: syscall.ENOTDIR}
	}
	return n, nil
}

// Create implements local.FS.
func (c *CrashFS) Create(name string) (local.File, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.inject(OpCreate, name); err != nil {
		return nil, err
	}
	dirName, base := split(name)
	dir, err := c.lookupDir(OpCreate, dirName)
	if err != nil {
		return nil, err
	}
	if _, ok := dir.entries[base]; ok {
		return nil, &fs.PathError{Op: string(OpCreate), Path: name, Err: fs.ErrExist}
	}
	n := newFile()
	dir.entries[base] = n
	return &file{c: c, n: n, name: name, gen: c.gen}, nil
}

// Rename implements local.FS.
func (c *CrashFS) Rename(oldname, newname string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.inject(OpRename, oldname); err != nil {
		return err
	}
	oldDirName, oldBase := split(oldname)
	newDirName, newBase := split(newname)
	oldDir, err := c.lookupDir(OpRename, oldDirName)
	if err != nil {
		return err
	}
	newDir, err := c.lookupDir(OpRename, newDirName)
	if err != nil {
		return err
	}
	n, ok := oldDir.entries[oldBase]
	if !ok {
		return &fs.PathError{Op: string(OpRename), Path: oldname, Err: fs.ErrNotExist}
	}
	if n.dir {
		return &fs.PathError{Op: string(OpRename), Path: oldname, Err: errors.New("CrashFS renames only files")}
	}
	if target, ok := newDir.entries[newBase]; ok && target.dir {
		return &fs.PathError{Op: string(OpRename), Path: newname, Err: syscall.EISDIR}
	}
	delete(oldDir.entries, oldBase)
	newDir.entries[newBase] = n
	return nil
}

// Remove implements local.FS.
func (c *CrashFS) Remove(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.inject(OpRemove, name); err != nil {
		return err
	}
	dirName, base := split(name)
	dir, err := c.lookupDir(OpRemove, dirName)
	if err != nil {
		return err
	}
	n, ok := dir.entries[base]
	if !ok {
		return &fs.PathError{Op: string(OpRemove), Path: name, Err: fs.ErrNotExist}
	}
	if n.dir && len(n.entries) > 0 {
		return &fs.PathError{Op: string(OpRemove), Path: name, Err: syscall.ENOTEMPTY}
	}
	delete(dir.entries, base)
	return nil
}

// MkdirAll implements local.FS.
func (c *CrashFS) MkdirAll(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.inject(OpMkdirAll, name); err != nil {
		return err
	}
	n := c.root
	for part := range strings.SplitSeq(strings.Trim(filepath.Clean("/"+name), "/"), "/") {
		if part == "" {
			break
		}
		child, ok := n.entries[part]
		if !ok {
			child = newDir()
			n.entries[part] = child
		}
		if !child.dir {
			return &fs.PathError{Op: string(OpMkdirAll), Path: name, Err: syscall.ENOTDIR}
		}
		n = child
	}
	return nil
}

// ReadDir implements local.FS.
func (c *CrashFS) ReadDir(name string) ([]fs.DirEntry, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.inject(OpReadDir, name); err != nil {
		return nil, err
	}
	dir, err := c.lookupDir(OpReadDir, name)
	if err != nil {
		return nil, err
	}
	var entries []fs.DirEntry
	for _, base := range slices.Sorted(maps.Keys(dir.entries)) {
		entries = append(entries, dir.entries[base].info(base))
	}
	return entries, nil
}

// ReadFile implements local.FS.
func (c *CrashFS) ReadFile(name string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.inject(OpReadFile, name); err != nil {
		return nil, err
	}
	n, err := c.lookup(OpReadFile, name)
	if err != nil {
		return nil, err
	}
	if n.dir {
		return nil, &fs.PathError{Op: string(OpReadFile), Path: name, Err: syscall.EISDIR}
	}
	return slices.Clone(n.data), nil
}

// ReadRange implements local.FS.
func (c *CrashFS) ReadRange(name string, off int64, n int) ([]byte, error) {
	data, err := c.ReadFile(name)
	if err != nil {
		return nil, err
	}
	lo := min(off, int64(len(data)))
	return data[lo:min(lo+int64(n), int64(len(data)))], nil
}

// Stat implements local.FS.
func (c *CrashFS) Stat(name string) (fs.FileInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.inject(OpStat, name); err != nil {
		return nil, err
	}
	n, err := c.lookup(OpStat, name)
	if err != nil {
		return nil, err
	}
	_, base := split(name)
	return n.info(base), nil
}

// SyncDir implements local.FS.
func (c *CrashFS) SyncDir(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.inject(OpSyncDir, name); err != nil {
		return err
	}
	dir, err := c.lookupDir(OpSyncDir, name)
	if err != nil {
		return err
	}
	dir.durEntries = maps.Clone(dir.entries)
	return nil
}

// SyncFile implements local.FS.
func (c *CrashFS) SyncFile(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.inject(OpSync, name); err != nil {
		return err
	}
	n, err := c.lookup(OpSync, name)
	if err != nil {
		return err
	}
	if n.dir {
		return &fs.PathError{Op: string(OpSync), Path: name, Err: syscall.EISDIR}
	}
	n.durData = slices.Clone(n.data)
	n.durModTime = n.modTime
	return nil
}
