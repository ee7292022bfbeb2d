package pfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/chunk"
	"github.com/tuskdata/tusk/internal/meta"
	"golang.org/x/sync/errgroup"
)

// batchSyncer is an object store for which durability costs a round trip
// per object (a local disk: an fsync of each file and its directory). It
// can write objects now and make them all durable later, together.
type batchSyncer interface {
	PutUnsynced(ctx context.Context, key string, data []byte) error
	Sync(ctx context.Context) error
}

// writeBack holds what was written since the last flush: tree nodes
// written to the object store unsynced, and chunks buffered in memory
// to be cut into a pack. They are readable here, but the metadata store
// does not know them as written until flush has made them durable, so no
// commit can refer to one that a crash could lose, and an upload that
// needs one meanwhile sends it again.
type writeBack struct {
	flushMu  sync.Mutex  // serializes flushes
	flushing atomic.Bool // a background flush runs
	mu       sync.Mutex
	keys     []string          // tree nodes written unsynced
	chunks   []storedChunk     // chunks for the next pack, in arrival order
	buffer   map[string][]byte // the same chunks by key, and those being packed
	bytes    int               // stored size of chunks
}

// flushBatch is how many objects written start a flush in the background,
// so that making them durable overlaps with receiving more and a commit
// waits only for the last few.
const flushBatch = 64

// buffered returns a chunk of the buffer.
func (wb *writeBack) buffered(key string) ([]byte, bool) {
	wb.mu.Lock()
	defer wb.mu.Unlock()
	data, ok := wb.buffer[key]
	return data, ok
}

// putObject writes an object that becomes known once flushWrites returns.
func (a *API) putObject(ctx context.Context, key string, data []byte) error {
	var err error
	if bs, ok := a.objects.(batchSyncer); ok {
		err = bs.PutUnsynced(ctx, key, data)
	} else {
		err = a.objects.Put(ctx, key, data)
	}
	if err != nil {
		return err
	}
	a.wb.mu.Lock()
	a.wb.keys = append(a.wb.keys, key)
	n := len(a.wb.keys)
	a.wb.mu.Unlock()
	if n >= flushBatch {
		a.flushInBackground(ctx)
	}
	return nil
}

// bufferChunk keeps a copy of a stored chunk for the next pack, which a
// flush writes: in the background once the buffer holds a pack's worth,
// and right away, before taking more, if it holds two.
func (a *API) bufferChunk(ctx context.Context, key string, data []byte) error {
	a.wb.mu.Lock()
	if a.wb.buffer == nil {
		a.wb.buffer = map[string][]byte{}
	}
	if _, ok := a.wb.buffer[key]; !ok {
		data = bytes.Clone(data)
		a.wb.buffer[key] = data
		a.wb.chunks = append(a.wb.chunks, storedChunk{key, data})
		a.wb.bytes += len(data)
	}
	n := a.wb.bytes
	a.wb.mu.Unlock()
	switch {
	case n >= 2*packTarget:
		return a.flushWrites(ctx)
	case n >= packTarget:
		a.flushInBackground(ctx)
	}
	return nil
}

func (a *API) flushInBackground(ctx context.Context) {
	if !a.wb.flushing.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer a.wb.flushing.Store(false)
		if err := a.flushWrites(context.WithoutCancel(ctx)); err != nil {
			a.log.Warn("background flush of written objects failed; they will be sent again", "err", err)
		}
	}()
}

// flushWrites makes every tree node written by putObject so far durable,
// writes the buffered chunks as one pack, and marks them all written in
// the metadata store, in one transaction. Uploads call it before their
// commit refers to what they sent.
func (a *API) flushWrites(ctx context.Context) error {
	a.wb.flushMu.Lock()
	defer a.wb.flushMu.Unlock()
	a.wb.mu.Lock()
	keys, chunks, n := a.wb.keys, a.wb.chunks, a.wb.bytes
	a.wb.keys, a.wb.chunks, a.wb.bytes = nil, nil, 0
	a.wb.mu.Unlock()
	if len(keys) == 0 && len(chunks) == 0 {
		return nil
	}
	err := a.flush(ctx, keys, chunks)
	a.wb.mu.Lock()
	defer a.wb.mu.Unlock()
	if err != nil {
		// Kept to be flushed again; a pack written meanwhile is left
		// to the collector.
		a.wb.keys = append(a.wb.keys, keys...)
		a.wb.chunks = append(chunks, a.wb.chunks...)
		a.wb.bytes += n
		return err
	}
	for _, c := range chunks {
		delete(a.wb.buffer, c.key)
	}
	return nil
}

func (a *API) flush(ctx context.Context, keys []string, chunks []storedChunk) error {
	if bs, ok := a.objects.(batchSyncer); ok && len(keys) > 0 {
		// On failure the objects stay unknown, and are sent again.
		if err := bs.Sync(ctx); err != nil {
			return fmt.Errorf("make %d objects durable: %w", len(keys), err)
		}
	}
	var pack string
	var size int64
	var entries []meta.PackEntry
	if len(chunks) > 0 {
		var err error
		if pack, size, entries, err = a.writePack(ctx, chunks); err != nil {
			return err
		}
	}
	err := a.db.UpdateVolatile(ctx, func(tx *meta.Tx) error {
		if pack != "" {
			if err := tx.RecordPack(ctx, pack, size, entries); err != nil {
				return err
			}
		}
		return tx.MarkWritten(ctx, keys)
	})
	if err != nil {
		return fmt.Errorf("record %d objects and %d chunks: %w", len(keys), len(chunks), err)
	}
	a.forgetLeases(keys)
	for _, e := range entries {
		a.leased.Take(e.Chunk)
	}
	return nil
}

// adopt looks in the object store for chunks that the metadata store does
// not know as written, and returns the keys of those it does not hold
// whole. A chunk can be stored yet unknown when the server that received
// it died, or was cut off, between writing its pack and recording it,
// and the client then moved on to another server of the cluster with its
// operations: such packs are found by their leases, and recorded here
// with every chunk in them that matches its address. A chunk written on
// its own by a server of format 3 is looked for too. Only this rare path
// pays for the reads.
func (a *API) adopt(ctx context.Context, keys []string) ([]string, error) {
	keys, err := a.adoptPacks(ctx, keys)
	if err != nil || len(keys) == 0 {
		return keys, err
	}
	found := make([]bool, len(keys))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, key := range keys {
		g.Go(func() error {
			data, err := a.objects.Get(gctx, key)
			if errors.Is(err, blob.ErrNotFound) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("look for chunk %s: %w", key, err)
			}
			if _, err := chunk.Decode(path.Base(key), data); err != nil {
				a.log.Warn("a chunk in the store does not match its address; it must be sent again", "key", key, "err", err)
				return nil
			}
			if _, ok := a.objects.(batchSyncer); ok {
				// Written unsynced by a server that may have died before
				// its sync: written again, durably.
				if err := a.objects.Put(gctx, key, data); err != nil {
					return fmt.Errorf("store chunk %s again: %w", key, err)
				}
			}
			found[i] = true
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var adopted, missing []string
	for i, key := range keys {
		if found[i] {
			adopted = append(adopted, key)
		} else {
			missing = append(missing, key)
		}
	}
	if len(adopted) == 0 {
		return missing, nil
	}
	if err := a.db.UpdateVolatile(ctx, func(tx *meta.Tx) error { return tx.MarkWritten(ctx, adopted) }); err != nil {
		return nil, fmt.Errorf("record %d chunks found in the store: %w", len(adopted), err)
	}
	a.forgetLeases(adopted)
	a.log.Info("chunks stored but not yet recorded were found in the store and recorded", "chunks", len(adopted))
	return missing, nil
}

// adoptPacks records the packs written but not recorded that hold some
// of the keys, and returns the keys still unknown.
func (a *API) adoptPacks(ctx context.Context, keys []string) ([]string, error) {
	var packs []string
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		var err error
		packs, err = tx.UnrecordedPacks(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("look for packs not recorded: %w", err)
	}
	want := map[string]bool{}
	for _, k := range keys {
		want[k] = true
	}
	for _, p := range packs {
		entries, err := a.readPackIndex(ctx, p)
		if errors.Is(err, blob.ErrNotFound) {
			continue // never written, or being written now
		}
		if err != nil {
			a.log.Warn("a pack not recorded cannot be read; the collector removes it", "key", p, "err", err)
			continue
		}
		if !slices.ContainsFunc(entries, func(e meta.PackEntry) bool { return want[e.Chunk] }) {
			continue
		}
		good, size, err := a.checkPack(ctx, p, entries)
		if err != nil {
			return nil, err
		}
		err = a.db.UpdateVolatile(ctx, func(tx *meta.Tx) error { return tx.RecordPack(ctx, p, size, good) })
		if errors.Is(err, meta.ErrPackCollected) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("record pack %s found in the store: %w", p, err)
		}
		for _, e := range good {
			delete(want, e.Chunk)
			a.leased.Take(e.Chunk)
		}
		a.log.Info("a pack stored but not yet recorded was found in the store and recorded", "pack", p, "chunks", len(good))
	}
	return slices.DeleteFunc(keys, func(k string) bool { return !want[k] }), nil
}

// checkPack reads a whole pack and returns those of the entries whose
// bytes match their chunk's address, and the pack's size.
func (a *API) checkPack(ctx context.Context, pack string, entries []meta.PackEntry) ([]meta.PackEntry, int64, error) {
	data, err := a.objects.Get(ctx, pack)
	if err != nil {
		return nil, 0, fmt.Errorf("check pack %s: %w", pack, err)
	}
	var good []meta.PackEntry
	for _, e := range entries {
		if e.Offset+e.Length > int64(len(data)) {
			continue
		}
		if _, err := chunk.Decode(path.Base(e.Chunk), data[e.Offset:e.Offset+e.Length]); err != nil {
			a.log.Warn("a chunk in a pack does not match its address", "pack", pack, "chunk", e.Chunk, "err", err)
			continue
		}
		good = append(good, e)
	}
	return good, int64(len(data)), nil
}
