package localtest

import (
	"io/fs"
	"maps"
	"slices"
	"time"
)

// node is a file or a directory. Each has a current state, what a reader
// sees, and a durable state, what survives a crash.
type node struct {
	dir bool

	// Directories: name to node, now and as last synced by SyncDir.
	entries, durEntries map[string]*node

	// Files: content and modification time, now and as last synced.
	data, durData       []byte
	modTime, durModTime time.Time
}

func newDir() *node {
	return &node{dir: true, entries: map[string]*node{}, durEntries: map[string]*node{}, modTime: time.Now()}
}

func newFile() *node {
	return &node{modTime: time.Now()}
}

// revert throws away n's changes since they were last synced, and those of
// everything that n durably holds.
func (n *node) revert() {
	if !n.dir {
		n.data = slices.Clone(n.durData)
		n.modTime = n.durModTime
		return
	}
	n.entries = maps.Clone(n.durEntries)
	for _, child := range n.entries {
		child.revert()
	}
}

func (n *node) info(name string) fileInfo {
	return fileInfo{name: name, size: int64(len(n.data)), dir: n.dir, modTime: n.modTime}
}

// fileInfo is a snapshot of a node, for Stat and ReadDir.
type fileInfo struct {
	name    string
	size    int64
	dir     bool
	modTime time.Time
}

var (
	_ fs.FileInfo = fileInfo{}
	_ fs.DirEntry = fileInfo{}
)

func (fi fileInfo) Name() string       { return fi.name }
func (fi fileInfo) Size() int64        { return fi.size }
func (fi fileInfo) ModTime() time.Time { return fi.modTime }
func (fi fileInfo) IsDir() bool        { return fi.dir }
func (fi fileInfo) Sys() any           { return nil }

func (fi fileInfo) Mode() fs.FileMode {
	if fi.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}

func (fi fileInfo) Type() fs.FileMode          { return fi.Mode().Type() }
func (fi fileInfo) Info() (fs.FileInfo, error) { return fi, nil }
