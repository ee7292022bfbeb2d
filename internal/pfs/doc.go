// Package pfs is Tusk's versioned file system: repos, branches, commits and
// the files in them, with provenance between branches and commit sets that
// span repos.
//
// A commit points at the root of a content-addressed file tree (package
// fileset) whose leaves refer to content-defined chunks (package chunk)
// kept in an object store (package blob); repos, branches, commits and
// object leases live in the metadata store (package meta). A write builds
// the new tree first, then moves the branch head in one metadata
// transaction, so a commit is either wholly visible or not at all.
package pfs
