// Package s3gw is Tusk's S3 gateway: an http.Handler that answers the S3
// API, path style (http://HOST:PORT/BUCKET/KEY), over the versioned file
// system.
//
// Buckets are named as Pachyderm names them: "repo" is the master branch
// of repo, "branch.repo" a branch, and "commit.repo" (a 32-hex commit ID)
// a commit, which is read-only. Keys are file paths without their leading
// '/'. ETags are the files' content hashes (BLAKE3, as docs/format.md
// defines them), so equal content has the same ETag wherever it is.
//
// The gateway reaches the file system through FS, which the server
// implements with pfs, and the caller's identity through Identities.
package s3gw
