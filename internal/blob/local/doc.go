// Package local is a blob.Store on a local directory: each key is a file
// path under the root, written durably with the temp-file, fsync, rename,
// fsync-directory dance.
//
// The store does all its file system work through FS, a small interface
// whose default implementation is the operating system's. Package
// localtest provides CrashFS, an in-memory FS that can simulate a power
// loss, so that tests can check what survives one.
package local
