package fileset

import (
	"context"
	"errors"
)

// BoundaryBits sets the shape of trees: the height of a key is the number
// of trailing zero bits of its hash divided by BoundaryBits, and a node at
// level L ends after a key of height at least L+1, so nodes hold
// 2^BoundaryBits (64) items on average. It is part of the format.
const BoundaryBits = 6

// MaxNodeSize bounds the decompressed size of a node. Leaves have no size
// limit of their own (a forced split would break history independence), so
// it only matters for leaves holding files with millions of chunks.
const MaxNodeSize = 256 << 20

// Errors returned by the package. They are wrapped with context; test for
// them with errors.Is.
var (
	// ErrCorrupt reports a node that fails to decode or does not fit where
	// its parent says it is.
	ErrCorrupt = errors.New("corrupt node")
	// ErrPathConflict reports a path that is both a file and the parent
	// directory of another file.
	ErrPathConflict = errors.New("path conflict")
	// ErrInvalid reports a malformed argument: unsorted changes, a hash that
	// is not lowercase hex SHA-256, a negative size.
	ErrInvalid = errors.New("invalid argument")
	// ErrNodeNotFound is returned by MemStore for a missing node; other
	// stores may wrap it as well.
	ErrNodeNotFound = errors.New("node not found")
)

// DataRef is a byte range of a stored chunk.
type DataRef struct {
	Chunk  string `json:"chunk"` // hex SHA-256 of the chunk
	Offset int64  `json:"offset"`
	Length int64  `json:"length"`
}

// File is one entry of a file set.
type File struct {
	// Path is canonical: a leading slash, no trailing slash, no empty, "."
	// or ".." elements. The caller validates it.
	Path string `json:"path"`
	Size int64  `json:"size"`
	// Hash is the hex SHA-256 of the whole content.
	Hash string `json:"hash"`
	// Refs are the ranges whose concatenation, in order, is the content.
	Refs []DataRef `json:"refs,omitempty"`
}

// NodeStore stores encoded nodes under their ids (the hex SHA-256 of the
// bytes). Implementations must be safe for concurrent use. GetNode's result
// is not modified by this package.
type NodeStore interface {
	GetNode(ctx context.Context, id string) ([]byte, error)
	PutNode(ctx context.Context, id string, data []byte) error
}
