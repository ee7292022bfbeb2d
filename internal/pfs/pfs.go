package pfs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/chunk"
	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/lru"
	"github.com/tuskdata/tusk/internal/meta"
)

// FormatVersion is the version of the on-disk format (chunk encoding, tree
// nodes, metadata layout, file hashes) written by this code. It is
// recorded in the metadata store when a store is created.
const FormatVersion = 5

// upgradable are the older versions that open as FormatVersion: version
// 3 only hashes large files written from now on by their chunks instead
// of their content, and cuts them on their own; version 4 writes chunks
// into packs, and moves those stored on their own by older versions into
// packs at the first open (unpackedKey); version 5 writes tree nodes into
// packs too, and reads those stored on their own where they are
// (docs/format.md).
var upgradable = []string{"2", "3", "4"}

// Objects is the part of an object store (package blob) that pfs uses.
type Objects interface {
	Put(ctx context.Context, key string, data []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
	GetRange(ctx context.Context, key string, off, n int64) ([]byte, error)
	Delete(ctx context.Context, key string) error
	Stat(ctx context.Context, key string) (blob.Info, error)
}

// Memory for caches of immutable objects: decoded chunks (small files
// share chunks, so reading a directory touches each chunk many times) and
// decoded tree nodes (every walk starts at the root).
const (
	chunkCacheBytes = 64 << 20
	nodeCacheBytes  = 16 << 20
)

// Options tune an API.
type Options struct {
	// LeaseTTL is how long an uploaded or reused object is protected from
	// the garbage collector before a commit must reference it.
	LeaseTTL time.Duration
	Logger   *slog.Logger
}

// API is the versioned file system over a metadata store and an object
// store. It is safe for concurrent use, also by several processes (or
// servers) sharing the same stores.
type API struct {
	db      *meta.DB
	objects Objects
	params  chunk.Params
	ttl     time.Duration
	log     *slog.Logger
	events  *hub
	chunks  *lru.Cache[string, []byte]    // decoded chunks
	leased  *lru.Cache[string, time.Time] // chunks MissingChunks leased as missing, to the lease's end
	nodes   fileset.NodeStore             // tree nodes, decoded ones cached
	wb      writeBack
	// instance tells this API's relayed events from other servers'.
	instance string
}

// Open returns an API over the stores, initialising them on first use
// (format version and chunking parameters are recorded then, and checked
// on every later open).
func Open(ctx context.Context, db *meta.DB, objects Objects, opts Options) (*API, error) {
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = time.Hour
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	a := &API{db: db, objects: objects, ttl: opts.LeaseTTL, log: opts.Logger.WithGroup("pfs"), events: newHub(), chunks: lru.New[string, []byte](chunkCacheBytes),
		leased: lru.New[string, time.Time](leaseMemo), instance: newID()}
	a.nodes = fileset.Cached(nodeReader{a}, fileset.NewNodeCache(nodeCacheBytes))
	var unpacked string
	err := db.Update(ctx, func(tx *meta.Tx) error {
		v, ok, err := tx.Config(ctx, "format_version")
		if err != nil {
			return err
		}
		if !ok {
			p, _ := json.Marshal(chunk.DefaultParams)
			if err := tx.SetConfig(ctx, "format_version", fmt.Sprint(FormatVersion)); err != nil {
				return err
			}
			if err := tx.SetConfig(ctx, "chunk_params", string(p)); err != nil {
				return err
			}
			a.params = chunk.DefaultParams
			return nil
		}
		if slices.Contains(upgradable, v) {
			if err := tx.SetConfig(ctx, "format_version", fmt.Sprint(FormatVersion)); err != nil {
				return err
			}
			a.log.Info("store format upgraded", "from", v, "to", FormatVersion)
			if v != "4" {
				if err := tx.SetConfig(ctx, unpackedKey, "1"); err != nil {
					return err
				}
				a.log.Info("the chunks stored on their own are moved into packs now")
			}
			if v == "2" {
				a.log.Info("large files already stored keep their content hashes, so one put again shows as changed once")
			}
		} else if v != fmt.Sprint(FormatVersion) {
			return fmt.Errorf("store format version %s is not supported by this tusk (it writes version %d); use a matching tusk binary", v, FormatVersion)
		}
		p, _, err := tx.Config(ctx, "chunk_params")
		if err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(p), &a.params); err != nil {
			return fmt.Errorf("read chunking parameters: %w", err)
		}
		if unpacked, _, err = tx.Config(ctx, unpackedKey); err != nil {
			return err
		}
		return a.params.Validate()
	})
	if err != nil {
		return nil, fmt.Errorf("open pfs: %w", err)
	}
	if unpacked == "1" {
		if err := a.migrateChunks(ctx); err != nil {
			return nil, fmt.Errorf("open pfs: %w", err)
		}
	}
	return a, nil
}

// ChunkParams returns the store's chunking parameters; clients cut data
// with them so that their chunks deduplicate against the store.
func (a *API) ChunkParams() chunk.Params { return a.params }

func newID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails since Go 1.24
	return hex.EncodeToString(b[:])
}

func now() time.Time { return time.Now().UTC() }
