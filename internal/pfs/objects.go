package pfs

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tuskdata/tusk/internal/chunk"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

func nodeKey(id string) string { return "nodes/" + id[:2] + "/" + id }

// lease protects keys from the collector and reports which are stored.
// Keys that the collector is deleting right now are waited for.
func (a *API) lease(ctx context.Context, keys []string) ([]int, error) {
	for attempt := 0; ; attempt++ {
		var states []int
		err := a.db.UpdateVolatile(ctx, func(tx *meta.Tx) error {
			var err error
			states, err = tx.Lease(ctx, keys, now().Add(a.ttl))
			return err
		})
		if err != nil {
			return nil, err
		}
		busy := false
		for _, s := range states {
			busy = busy || s == meta.ObjectDeleting
		}
		if !busy {
			return states, nil
		}
		if attempt == 50 {
			return nil, tusk.Errorf(tusk.KindUnavailable, "objects are being garbage collected; retry in a moment")
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// MissingChunks leases the given chunks for an upload and returns those
// the store does not have yet, which the client must then send.
func (a *API) MissingChunks(ctx context.Context, ids []string) ([]string, error) {
	keys := make([]string, len(ids))
	for i, id := range ids {
		if !validChunkID(id) {
			return nil, tusk.Errorf(tusk.KindInvalid, "invalid chunk ID %q: want 64 hex digits", id)
		}
		keys[i] = chunk.Key(id)
	}
	until := now().Add(a.ttl)
	states, err := a.lease(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("check chunks: %w", err)
	}
	var missing []string
	for i, s := range states {
		if s != meta.ObjectPresent {
			missing = append(missing, ids[i])
			a.leased.Add(keys[i], until, 1)
		}
	}
	return missing, nil
}

// leaseMemo is how many chunks leased by MissingChunks are remembered, so
// that PutChunk of one of them needs no transaction of its own. It covers
// the chunks in flight of many concurrent uploads.
const leaseMemo = 1 << 16

// memoFresh is how long after MissingChunks the memo of a chunk is used:
// an upload sends a chunk right after asking about it. Later, PutChunk
// leases the chunk itself, which renews the lease and finds the chunk
// if another upload or server has stored it since.
const memoFresh = 10 * time.Second

// leasedMissing reports whether MissingChunks leased key as missing a
// moment ago, with the lease in the metadata store holding for most of
// its time still. The collector leaves such a key alone, so it can be
// written once without leasing it again: the memo is used up. A flush
// that marks the key written drops its memo (forgetLeases), so a chunk
// this server has made durable meanwhile is not written over.
func (a *API) leasedMissing(key string) bool {
	until, ok := a.leased.Take(key)
	return ok && until.Sub(now()) > max(a.ttl/2, a.ttl-memoFresh)
}

// forgetLeases drops the memos of keys that are now stored.
func (a *API) forgetLeases(keys []string) {
	for _, k := range keys {
		a.leased.Take(k)
	}
}

// PutChunk takes an encoded chunk after checking it against its ID, for
// the next pack this server writes. The chunk counts as stored once a
// commit or a staging that refers to it has flushed the writes (see
// writeBack). It keeps nothing of encoded once it returns.
func (a *API) PutChunk(ctx context.Context, id string, encoded []byte) error {
	if !validChunkID(id) {
		return tusk.Errorf(tusk.KindInvalid, "invalid chunk ID %q: want 64 hex digits", id)
	}
	if _, err := chunk.Decode(id, encoded); err != nil {
		return tusk.Errorf(tusk.KindInvalid, "chunk %s rejected: %v; the upload was damaged, retry it", id, err)
	}
	key := chunk.Key(id)
	if !a.leasedMissing(key) {
		states, err := a.lease(ctx, []string{key})
		if err != nil {
			return fmt.Errorf("put chunk %s: %w", id, err)
		}
		if states[0] == meta.ObjectPresent {
			// Stored and durable already: rewriting it unsynced could
			// only put it at risk.
			return nil
		}
	}
	if err := a.bufferObject(ctx, key, encoded); err != nil {
		return fmt.Errorf("put chunk %s: %w", id, err)
	}
	return nil
}

func validChunkID(id string) bool {
	if len(id) != 64 {
		return false
	}
	for _, r := range id {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return false
		}
	}
	return true
}

// readChunk returns a chunk's plaintext, from a small cache when it can:
// small files share chunks, so reading a directory touches each chunk
// many times.
func (a *API) readChunk(ctx context.Context, id string) ([]byte, error) {
	if b, ok := a.chunks.Get(id); ok {
		return b, nil
	}
	enc, err := a.readStored(ctx, chunk.Key(id))
	if err != nil {
		return nil, err
	}
	plain, err := chunk.Decode(id, enc)
	if err != nil {
		return nil, err
	}
	a.chunks.Add(id, plain, len(plain))
	return plain, nil
}

// nodeReader reads tree nodes from the object store.
type nodeReader struct{ a *API }

func (r nodeReader) GetNode(ctx context.Context, id string) ([]byte, error) {
	b, err := r.a.readStored(ctx, nodeKey(id))
	if err != nil {
		return nil, fmt.Errorf("read tree node %s: %w", id, err)
	}
	return b, nil
}

func (r nodeReader) PutNode(ctx context.Context, id string, data []byte) error {
	return fmt.Errorf("put tree node %s: tree is read-only here", id)
}

// nodeBatch collects the nodes written while building a tree and stores
// them all in Flush: one lease transaction, parallel object writes, one
// flush of the writes.
type nodeBatch struct {
	a       *API
	mu      sync.Mutex
	pending map[string][]byte
}

func (a *API) newNodeBatch() *nodeBatch { return &nodeBatch{a: a, pending: map[string][]byte{}} }

func (b *nodeBatch) GetNode(ctx context.Context, id string) ([]byte, error) {
	b.mu.Lock()
	data, ok := b.pending[id]
	b.mu.Unlock()
	if ok {
		return data, nil
	}
	return b.a.nodes.GetNode(ctx, id)
}

func (b *nodeBatch) PutNode(ctx context.Context, id string, data []byte) error {
	b.mu.Lock()
	b.pending[id] = data
	b.mu.Unlock()
	return nil
}

func (b *nodeBatch) Flush(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.pending) == 0 {
		return nil
	}
	keys := make([]string, 0, len(b.pending))
	ids := make([]string, 0, len(b.pending))
	for id := range b.pending {
		keys = append(keys, nodeKey(id))
		ids = append(ids, id)
	}
	states, err := b.a.lease(ctx, keys)
	if err != nil {
		return fmt.Errorf("store tree nodes: %w", err)
	}
	for i, id := range ids {
		if states[i] != meta.ObjectPresent {
			if err := b.a.bufferObject(ctx, keys[i], b.pending[id]); err != nil {
				return fmt.Errorf("store tree nodes: %w", err)
			}
		}
	}
	if err := b.a.flushWrites(ctx); err != nil {
		return fmt.Errorf("store tree nodes: %w", err)
	}
	b.pending = map[string][]byte{}
	return nil
}
