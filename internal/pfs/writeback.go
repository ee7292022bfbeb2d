package pfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"sync"

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

// writeBack holds the chunks and tree nodes written since the last
// flush, laid out in memory for the next pack. They are readable here,
// but the metadata store does not know them as written until they are
// durable, so no commit can refer to one that a crash could lose, and an
// upload that needs one meanwhile sends it again.
//
// A pack's worth is written and recorded in the background while uploads
// go on into the next one, by up to packWriters at once; an upload waits
// only when they are all busy. A flush waits for those in flight, then
// writes what is left as one more pack.
type writeBack struct {
	flushMu sync.Mutex    // serializes flushes
	slots   chan struct{} // one for each pack written in the background
	mu      sync.Mutex
	pack    *packBuilder           // objects for the next pack, in arrival order
	buffer  map[string][]byte      // objects not recorded yet, by key, in any pack held here
	writing map[chan struct{}]bool // closed when a pack written in the background is done
	failed  []*packBuilder         // packs whose background write failed, for the next flush
}

// packWriters is how many packs a server writes in the background at
// once: one fills the disk's queue while the next is finished.
const packWriters = 2

// buffered returns a copy of an object held for a pack: the pack's
// buffer is used again once the pack is recorded.
func (wb *writeBack) buffered(key string) ([]byte, bool) {
	wb.mu.Lock()
	defer wb.mu.Unlock()
	data, ok := wb.buffer[key]
	return bytes.Clone(data), ok
}

// bufferObject copies a stored chunk or tree node into the next pack,
// and once that holds a pack's worth, writes it in the background as soon
// as one of the slots for that is free. Uploads that come meanwhile wait
// for the slot too, after adding their object, so that what a server
// holds stays bounded by packWriters+1 packs.
func (a *API) bufferObject(ctx context.Context, key string, data []byte) error {
	a.wb.mu.Lock()
	if a.wb.slots == nil {
		a.wb.buffer = map[string][]byte{}
		a.wb.writing = map[chan struct{}]bool{}
		a.wb.slots = make(chan struct{}, packWriters)
	}
	if _, ok := a.wb.buffer[key]; !ok {
		if a.wb.pack == nil {
			a.wb.pack = &packBuilder{}
		}
		a.wb.buffer[key] = a.wb.pack.add(key, data)
	}
	full := a.wb.pack.full()
	a.wb.mu.Unlock()
	if !full {
		return nil
	}
	select {
	case a.wb.slots <- struct{}{}:
	case <-ctx.Done():
		return nil // the chunk is held; a later upload or flush writes it
	}
	a.wb.mu.Lock()
	p := a.wb.pack
	if !p.full() {
		// Taken by another upload, or by a flush.
		a.wb.mu.Unlock()
		<-a.wb.slots
		return nil
	}
	a.wb.pack = nil
	done := make(chan struct{})
	a.wb.writing[done] = true
	a.wb.mu.Unlock()
	go a.writeInBackground(context.WithoutCancel(ctx), p, done)
	return nil
}

// writeInBackground writes and records a pack cut by bufferObject, then
// frees its slot and closes done. A pack whose write fails is kept for
// the next flush.
func (a *API) writeInBackground(ctx context.Context, p *packBuilder, done chan struct{}) {
	defer func() { <-a.wb.slots }()
	err := a.flush(ctx, []*packBuilder{p})
	a.wb.mu.Lock()
	delete(a.wb.writing, done)
	if err != nil {
		a.wb.failed = append(a.wb.failed, p)
	}
	a.wb.mu.Unlock()
	close(done)
	if err != nil {
		a.log.Warn("background write of a pack failed; the next commit writes it again", "err", err)
	}
}

// flushWrites makes every chunk and tree node buffered so far durable
// and known to the metadata store: it waits for the packs being written
// in the background, then writes what is left as one more pack. Uploads
// call it before their commit refers to what they sent.
func (a *API) flushWrites(ctx context.Context) error {
	a.wb.flushMu.Lock()
	defer a.wb.flushMu.Unlock()
	// The pack being filled is taken, and those cut before it noted, at
	// once: a pack cut after this holds nothing uploaded before the call.
	a.wb.mu.Lock()
	packs := a.wb.failed
	if a.wb.pack != nil {
		packs = append(packs, a.wb.pack)
	}
	a.wb.failed, a.wb.pack = nil, nil
	writing := a.wb.inFlight()
	a.wb.mu.Unlock()
	err := waitAll(ctx, writing)
	a.wb.mu.Lock()
	packs = append(packs, a.wb.failed...) // their background write failed
	a.wb.failed = nil
	a.wb.mu.Unlock()
	if err == nil && len(packs) > 0 {
		err = a.flush(ctx, packs)
	}
	if err != nil {
		// Kept to be flushed again; a pack written meanwhile is left
		// to the collector.
		a.wb.mu.Lock()
		a.wb.failed = append(a.wb.failed, packs...)
		a.wb.mu.Unlock()
	}
	return err
}

// inFlight returns the channels that close when the packs being written
// in the background are done. wb.mu must be held.
func (wb *writeBack) inFlight() []chan struct{} {
	writing := make([]chan struct{}, 0, len(wb.writing))
	for done := range wb.writing {
		writing = append(writing, done)
	}
	return writing
}

// waitAll waits for every channel to close.
func waitAll(ctx context.Context, chans []chan struct{}) error {
	for _, done := range chans {
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// flush writes packs and records them in one transaction; then their
// objects are no longer held here.
func (a *API) flush(ctx context.Context, packs []*packBuilder) error {
	type written struct {
		key     string
		size    int64
		entries []meta.PackEntry
	}
	out := make([]written, len(packs))
	g, gctx := errgroup.WithContext(ctx)
	for i, p := range packs {
		g.Go(func() error {
			var err error
			out[i].key, out[i].size, out[i].entries, err = a.writePack(gctx, p)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	err := a.db.UpdateVolatile(ctx, func(tx *meta.Tx) error {
		for _, w := range out {
			if err := tx.RecordPack(ctx, w.key, w.size, w.entries); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record %d packs: %w", len(packs), err)
	}
	a.wb.mu.Lock()
	for _, w := range out {
		for _, e := range w.entries {
			a.leased.Take(e.Chunk)
			delete(a.wb.buffer, e.Chunk)
		}
	}
	a.wb.mu.Unlock()
	for _, p := range packs {
		p.release()
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
	return a.adoptFrom(ctx, packs, keys)
}

// adoptFrom records those of packs, not recorded, that hold some of the
// keys, with every chunk in them that matches its address, and returns
// the keys still unknown. A pack the metadata store has no row for is
// leased in the same transaction.
func (a *API) adoptFrom(ctx context.Context, packs, keys []string) ([]string, error) {
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
		err = a.db.UpdateVolatile(ctx, func(tx *meta.Tx) error {
			if _, err := tx.Lease(ctx, []string{p}, now()); err != nil {
				return err
			}
			return tx.RecordPack(ctx, p, size, good)
		})
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
		if err := checkStored(e.Chunk, data[e.Offset:e.Offset+e.Length]); err != nil {
			a.log.Warn("a chunk in a pack does not match its address", "pack", pack, "chunk", e.Chunk, "err", err)
			continue
		}
		good = append(good, e)
	}
	return good, int64(len(data)), nil
}
