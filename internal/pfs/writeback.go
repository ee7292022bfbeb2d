package pfs

import (
	"context"
	"errors"
	"fmt"
	"path"
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

// writeBack holds the objects written since the last flush. They are
// readable, but the metadata store does not know them as written until
// flush has made them durable, so no commit can refer to one that a
// crash could lose, and an upload that needs one meanwhile sends it
// again.
type writeBack struct {
	flushMu  sync.Mutex  // serializes flushes
	flushing atomic.Bool // a background flush runs
	mu       sync.Mutex
	keys     []string
}

// flushBatch is how many objects written start a flush in the background,
// so that making them durable overlaps with receiving more and a commit
// waits only for the last few.
const flushBatch = 64

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
	if n >= flushBatch && a.wb.flushing.CompareAndSwap(false, true) {
		go func() {
			defer a.wb.flushing.Store(false)
			if err := a.flushWrites(context.WithoutCancel(ctx)); err != nil {
				a.log.Warn("background flush of written objects failed; they will be sent again", "err", err)
			}
		}()
	}
	return nil
}

// flushWrites makes every object written by putObject so far durable and
// marks it written in the metadata store, in one transaction. Uploads
// call it before their commit refers to what they sent.
func (a *API) flushWrites(ctx context.Context) error {
	a.wb.flushMu.Lock()
	defer a.wb.flushMu.Unlock()
	a.wb.mu.Lock()
	keys := a.wb.keys
	a.wb.keys = nil
	a.wb.mu.Unlock()
	if len(keys) == 0 {
		return nil
	}
	if bs, ok := a.objects.(batchSyncer); ok {
		// On failure the objects stay unknown, and are sent again.
		if err := bs.Sync(ctx); err != nil {
			return fmt.Errorf("make %d objects durable: %w", len(keys), err)
		}
	}
	err := a.db.UpdateVolatile(ctx, func(tx *meta.Tx) error { return tx.MarkWritten(ctx, keys) })
	if err != nil {
		a.wb.mu.Lock()
		a.wb.keys = append(a.wb.keys, keys...)
		a.wb.mu.Unlock()
		return fmt.Errorf("record %d objects: %w", len(keys), err)
	}
	a.forgetLeases(keys)
	return nil
}

// adopt looks in the object store for chunks that the metadata store does
// not know as written, and returns the keys of those it does not hold
// whole. A chunk can be stored yet unknown when the server that received
// it died, or was cut off, before its flush recorded it, and the client
// then moved on to another server of the cluster with its operations:
// the chunk was reported stored, so it is taken as stored once its bytes
// match its address. Those found are made durable and recorded here. It
// reads each object, so only this rare path pays for it.
func (a *API) adopt(ctx context.Context, keys []string) ([]string, error) {
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
