package pfs

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"sync"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/chunk"
	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/meta"
)

// packTarget is the size at which the objects buffered by a server are
// cut into a pack before a flush asks for it: tens of MiB, so that a pack
// costs one object and one fsync for dozens of chunks, while the memory
// held by the buffer stays bounded.
const packTarget = 32 << 20

// packMagic ends every pack written now: its index gives each object's
// kind (docs/format.md). packMagicChunks ends those of format 4, which
// hold chunks only.
const (
	packMagic       = "tuskpak2"
	packMagicChunks = "tuskpak1"
)

// packTrailer is the fixed end of a pack: the index's length as 4 bytes
// little-endian, then the magic.
const packTrailer = 4 + len(packMagic)

// The kinds of object a pack holds, as its index names them.
const (
	kindChunk = 0
	kindNode  = 1
)

func packKey(id string) string { return "packs/" + id[:2] + "/" + id }

// isPackKey reports whether an object key names a pack.
func isPackKey(key string) bool { return len(key) > 6 && key[:6] == "packs/" }

// isNodeKey reports whether an object key names a tree node.
func isNodeKey(key string) bool { return len(key) > 6 && key[:6] == "nodes/" }

// checkStored checks an object of a pack against its key: a chunk's
// bytes against its address, a tree node's against its ID.
func checkStored(key string, data []byte) error {
	if isNodeKey(key) {
		return fileset.CheckNode(path.Base(key), data)
	}
	_, err := chunk.Decode(path.Base(key), data)
	return err
}

// packBuilder lays chunks out one after the other, as they come, in the
// buffer that becomes their pack: a chunk is copied once on its way to
// the store. The buffers of packs written are used again (packBuffers).
type packBuilder struct {
	data    []byte
	entries []meta.PackEntry // Pack is set by finish
	index   int              // the size of the index finish appends
}

// packBuffers are the buffers of packs written, of packBufferSize bytes.
var packBuffers sync.Pool // of *[]byte

// packBufferSize is the capacity of a pooled pack buffer: a pack's worth,
// the largest chunk a pack can end with, and its index.
const packBufferSize = packTarget + 5<<20

// add copies a stored chunk into the pack and returns where it lies in
// the pack's buffer.
func (p *packBuilder) add(key string, data []byte) []byte {
	need := len(p.data) + len(data)
	if need > cap(p.data) {
		var grown []byte
		if bp, ok := packBuffers.Get().(*[]byte); ok && need <= packBufferSize {
			grown = (*bp)[:0]
		} else {
			// Grown by doubling until a pack's worth, so that a small
			// commit's pack costs little.
			n := max(2*cap(p.data), need, 64<<10)
			if need <= packBufferSize {
				n = min(n, packBufferSize)
			}
			grown = make([]byte, 0, n)
		}
		p.data = append(grown, p.data...)
	}
	off := len(p.data)
	p.data = append(p.data, data...)
	p.entries = append(p.entries, meta.PackEntry{Chunk: key, Offset: int64(off), Length: int64(len(data))})
	p.index += indexEntrySize(int64(len(data)))
	return p.data[off:len(p.data):len(p.data)]
}

// full reports whether p holds a pack's worth; a nil p holds nothing.
func (p *packBuilder) full() bool { return p != nil && p.size() >= packTarget }

// size returns the size of the pack finish would make.
func (p *packBuilder) size() int {
	return len(p.data) + uvarintLen(uint64(len(p.entries))) + p.index + packTrailer
}

// finish appends the pack's own index (each chunk's ID and length, in
// order) and the trailer to the chunks, and returns the pack stored under
// key and where each chunk lies in it. The builder is left as it was, so
// a pack whose write failed can be finished again under another key.
func (p *packBuilder) finish(key string) ([]byte, []meta.PackEntry) {
	out := p.data
	start := len(out)
	out = binary.AppendUvarint(out, uint64(len(p.entries)))
	entries := make([]meta.PackEntry, len(p.entries))
	for i, e := range p.entries {
		kind := byte(kindChunk)
		if isNodeKey(e.Chunk) {
			kind = kindNode
		}
		id, _ := hex.DecodeString(path.Base(e.Chunk))
		out = append(out, kind)
		out = append(out, id...)
		out = binary.AppendUvarint(out, uint64(e.Length))
		e.Pack = key
		entries[i] = e
	}
	out = binary.LittleEndian.AppendUint32(out, uint32(len(out)-start))
	return append(out, packMagic...), entries
}

// release hands the pack's buffer back for another pack; nothing may
// refer to its chunks any more.
func (p *packBuilder) release() {
	if cap(p.data) == packBufferSize {
		b := p.data[:0]
		packBuffers.Put(&b)
	}
	p.data, p.entries = nil, nil
}

// indexEntrySize is the size of a pack index's entry for an object of
// length bytes: its kind, its ID and its length.
func indexEntrySize(length int64) int { return 1 + 32 + uvarintLen(uint64(length)) }

func uvarintLen(v uint64) int {
	var b [binary.MaxVarintLen64]byte
	return len(binary.AppendUvarint(b[:0], v))
}

// readPackIndex reads the index at the end of a stored pack: where each
// of its chunks lies, whatever the metadata store says.
func (a *API) readPackIndex(ctx context.Context, key string) ([]meta.PackEntry, error) {
	info, err := a.objects.Stat(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read the index of pack %s: %w", key, err)
	}
	if info.Size < int64(packTrailer) {
		return nil, fmt.Errorf("pack %s is %d bytes, too short for a pack", key, info.Size)
	}
	tr, err := a.objects.GetRange(ctx, key, info.Size-int64(packTrailer), int64(packTrailer))
	if err != nil {
		return nil, fmt.Errorf("read the index of pack %s: %w", key, err)
	}
	magic := string(tr[4:])
	if magic != packMagic && magic != packMagicChunks {
		return nil, fmt.Errorf("pack %s does not end as a pack does", key)
	}
	n := int64(binary.LittleEndian.Uint32(tr))
	if n > info.Size-int64(packTrailer) {
		return nil, fmt.Errorf("pack %s: an index of %d bytes does not fit", key, n)
	}
	start := info.Size - int64(packTrailer) - n
	idx, err := a.objects.GetRange(ctx, key, start, n)
	if err != nil {
		return nil, fmt.Errorf("read the index of pack %s: %w", key, err)
	}
	return decodePackIndex(key, idx, start, magic == packMagic)
}

// decodePackIndex decodes a pack's index, whose objects end at end; kinds
// says whether each entry starts with its object's kind.
func decodePackIndex(key string, idx []byte, end int64, kinds bool) ([]meta.PackEntry, error) {
	bad := fmt.Errorf("pack %s: its index is damaged", key)
	r := bytes.NewReader(idx)
	count, err := binary.ReadUvarint(r)
	if err != nil || count > uint64(len(idx)) {
		return nil, bad
	}
	entries := make([]meta.PackEntry, 0, count)
	var off int64
	id := make([]byte, 32)
	for range count {
		objectKey := chunk.Key
		if kinds {
			switch kind, err := r.ReadByte(); {
			case err != nil:
				return nil, bad
			case kind == kindNode:
				objectKey = nodeKey
			case kind != kindChunk:
				return nil, fmt.Errorf("pack %s holds an object of kind %d, unknown to this tusk", key, kind)
			}
		}
		if _, err := io.ReadFull(r, id); err != nil {
			return nil, bad
		}
		n, err := binary.ReadUvarint(r)
		if err != nil || n > uint64(end-off) {
			return nil, bad
		}
		entries = append(entries, meta.PackEntry{Chunk: objectKey(hex.EncodeToString(id)), Pack: key, Offset: off, Length: int64(n)})
		off += int64(n)
	}
	if r.Len() != 0 || off != end {
		return nil, bad
	}
	return entries, nil
}

// writePack stores a pack and returns its key and size and where each
// chunk lies; nothing records it yet. The pack is leased before it is
// written, so that if its server dies before recording it the collector
// deletes it once the lease ends, and it is durable when writePack
// returns.
func (a *API) writePack(ctx context.Context, p *packBuilder) (string, int64, []meta.PackEntry, error) {
	key := packKey(newID() + newID())
	if _, err := a.lease(ctx, []string{key}); err != nil {
		return "", 0, nil, fmt.Errorf("write pack: %w", err)
	}
	data, entries := p.finish(key)
	var err error
	if bs, ok := a.objects.(batchSyncer); ok {
		// A local disk writes a large object around the page cache
		// this way (O_DIRECT), where Put would fill the cache with
		// bytes not read back soon and then wait for their writeback.
		if err = bs.PutUnsynced(ctx, key, data); err == nil {
			err = bs.Sync(ctx)
		}
	} else {
		err = a.objects.Put(ctx, key, data)
	}
	if err != nil {
		return "", 0, nil, fmt.Errorf("write pack of %d chunks: %w", len(entries), err)
	}
	return key, int64(len(data)), entries, nil
}

// readStored returns the stored form of a chunk or tree node, by its
// key: from this server's buffer of objects not yet packed, from its
// pack, or, for one stored before packs (a chunk of format 3, a node of
// format 4), from its own object.
func (a *API) readStored(ctx context.Context, key string) ([]byte, error) {
	if data, ok := a.wb.buffered(key); ok {
		return data, nil
	}
	for attempt := 0; ; attempt++ {
		var loc meta.PackEntry
		var packed bool
		err := a.db.View(ctx, func(tx *meta.Tx) error {
			var err error
			loc, packed, err = tx.ChunkLocation(ctx, key)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", key, err)
		}
		var data []byte
		if packed {
			data, err = a.objects.GetRange(ctx, loc.Pack, loc.Offset, loc.Length)
		} else {
			data, err = a.objects.Get(ctx, key)
		}
		if errors.Is(err, blob.ErrNotFound) && attempt == 0 {
			continue // repacked, or moved into a pack, since it was located: locate it again
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", key, err)
		}
		return data, nil
	}
}
