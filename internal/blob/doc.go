// Package blob defines Store, the object store that holds Tusk's
// content-addressed chunks and tree nodes as immutable objects under string
// keys such as "chunks/ab/abcdef…" or "nodes/12/1234…".
//
// The package holds the interface, the key rules shared by every backend, an
// in-memory Store for tests and small setups, and Faulty, a wrapper that
// injects errors for the tests of other packages. The backends live in the
// subpackages local (a directory) and s3 (S3-compatible object storage);
// package open picks one from a URL, and package blobtest is the conformance
// suite that every backend passes.
package blob
