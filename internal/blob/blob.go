package blob

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNotFound is returned, possibly wrapped, by Get and Stat when the key is
// absent. Test for it with errors.Is.
var ErrNotFound = errors.New("blob not found")

// ErrRange is returned, possibly wrapped, by GetRange for a range that
// does not lie within the object.
var ErrRange = errors.New("range outside the blob")

// CheckRange returns an error wrapping ErrRange unless the n bytes at off
// lie within an object of size bytes.
func CheckRange(off, n, size int64) error {
	if off < 0 || n < 0 || off > size || n > size-off {
		return fmt.Errorf("%d bytes at offset %d of %d: %w", n, off, size, ErrRange)
	}
	return nil
}

// Info describes a stored object.
type Info struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// Getter reads objects.
type Getter interface {
	// Get returns the object's content, or an error wrapping ErrNotFound if
	// the key is absent. The caller owns the returned slice.
	Get(ctx context.Context, key string) ([]byte, error)
	// GetRange returns the n bytes of the object that start at offset
	// off, or an error wrapping ErrNotFound if the key is absent. A range
	// that does not lie within the object is an error wrapping ErrRange.
	// The caller owns the returned slice.
	GetRange(ctx context.Context, key string, off, n int64) ([]byte, error)
	// Stat describes the object, or returns an error wrapping ErrNotFound if
	// the key is absent.
	Stat(ctx context.Context, key string) (Info, error)
}

// Putter writes objects.
type Putter interface {
	// Put stores data under key, replacing any previous object atomically:
	// a reader sees the old content or the new, never a mix. When Put
	// returns nil the object is durable (fsync'd or acknowledged by the
	// server). Put does not keep data after it returns.
	Put(ctx context.Context, key string, data []byte) error
}

// Lister enumerates objects.
type Lister interface {
	// List calls fn for every object whose key starts with prefix, in
	// lexical (byte-wise) order of the keys. The prefix is a plain string
	// prefix, not a directory: "chunks/a" matches "chunks/ab/…" and
	// "chunks/a1…" but not "chunks/b…", and "chunks" also matches
	// "chunksx/…". The empty prefix matches every key. If fn returns an
	// error List stops and returns it (wrapped). Objects put or deleted
	// while List runs may or may not be seen.
	List(ctx context.Context, prefix string, fn func(Info) error) error
}

// Deleter removes objects.
type Deleter interface {
	// Delete removes the object. It returns nil if the key is already
	// absent.
	Delete(ctx context.Context, key string) error
}

// Store is an object store of immutable blobs under keys that satisfy
// CheckKey. Every method rejects an invalid key with an error wrapping
// ErrInvalidKey, and returns an error wrapping ctx.Err() if ctx is already
// done. A Store is safe for concurrent use.
type Store interface {
	Getter
	Putter
	Lister
	Deleter
	// Close releases the store's resources. The store is not used after.
	Close() error
}
