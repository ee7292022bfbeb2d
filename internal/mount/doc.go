// Package mount serves a Tusk server's repos as a local file system over
// FUSE, as pachctl mount does: each repo is a directory holding one commit
// of it, pinned when the mount starts (a branch is resolved to its head
// once, so later commits do not show until the next mount). Directory
// listings come from the server's list of files, once per directory;
// file content is read lazily in blocks through a cache bounded in size.
// A mount made with Options.Write keeps what is written in a local
// staging directory and commits it, one commit per repo, when the file
// system is unmounted.
//
// The mount is a client of the server, like the CLI: it reaches it only
// through the small Client interface, which *client.Client satisfies.
package mount
