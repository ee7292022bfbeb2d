// Package chunk turns byte streams into content-defined, content-addressed,
// compressed chunks, the unit of storage and deduplication in Tusk.
//
// A Packer cuts the concatenation of many files into chunks with FastCDC, so
// that small files share chunks (1M tiny files do not become 1M objects)
// while large files still deduplicate across versions, files and repos. A
// chunk is addressed by the SHA-256 of its plaintext and stored encoded:
// one format byte, then either the raw bytes or a zstd frame.
//
// Add reads a file straight into the Packer's buffer and finds cut points
// there; the chunks' addresses, and the hash of a large file, are computed
// by other goroutines, so that the passes over the data run side by side.
package chunk
