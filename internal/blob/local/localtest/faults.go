package localtest

import (
	"errors"
	"io/fs"
)

// ErrInjected is the error of an operation that FailAfter or FailIf made
// fail.
var ErrInjected = errors.New("injected file system fault")

// Op names a file system operation, for FailIf.
type Op string

// The operations of CrashFS and of its files.
const (
	OpCreate   Op = "create"
	OpWrite    Op = "write"
	OpSync     Op = "sync"
	OpClose    Op = "close"
	OpRename   Op = "rename"
	OpRemove   Op = "remove"
	OpMkdirAll Op = "mkdirall"
	OpReadDir  Op = "readdir"
	OpReadFile Op = "readfile"
	OpStat     Op = "stat"
	OpSyncDir  Op = "syncdir"
)

// FailAfter lets the next n operations (of the file system or its files)
// through and fails every later one with ErrInjected, as if the machine
// had stopped there. A negative n lifts the limit.
func (c *CrashFS) FailAfter(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.after = n
}

// FailIf makes every operation for which pred returns true fail with
// ErrInjected. For file operations name is the file's name at Create. A
// nil pred removes the predicate. pred must not call c.
func (c *CrashFS) FailIf(pred func(op Op, name string) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fail = pred
}

// inject starts every operation, with c.mu held: it counts the operation
// and returns an error if the operation is to fail.
func (c *CrashFS) inject(op Op, name string) error {
	exhausted := c.after == 0
	if c.after > 0 {
		c.after--
	}
	if exhausted || c.fail != nil && c.fail(op, name) {
		return &fs.PathError{Op: string(op), Path: name, Err: ErrInjected}
	}
	return nil
}
