// Package open opens the blob.Store that a URL names, choosing among the
// backends with an explicit switch on the URL's scheme: a directory path or
// file:///path (package local), s3://bucket/prefix?endpoint=… (package s3)
// or mem:// (blob.NewMemory).
package open
