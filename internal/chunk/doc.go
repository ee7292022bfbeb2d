// Package chunk turns byte streams into content-defined, content-addressed,
// compressed chunks, the unit of storage and deduplication in Tusk.
//
// A Packer cuts the concatenation of many files into chunks with FastCDC, so
// that small files share chunks (1M tiny files do not become 1M objects),
// and cuts each large file on its own, so that it deduplicates across
// versions, files and repos wherever it is put. A chunk is addressed by the
// BLAKE3-256 of its plaintext and stored encoded: one format byte, then
// either the raw bytes or a zstd frame.
//
// Add reads a file straight into the Packer's buffer and finds cut points
// there; the chunks' addresses, and the hash of a small file, are computed
// by other goroutines, so that the passes over the data run side by side.
// A large file's hash is computed from its chunks' addresses.
package chunk
