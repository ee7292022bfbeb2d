package pfs

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"path"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/chunk"
	"github.com/tuskdata/tusk/internal/meta"
)

// packTarget is the size at which the chunks buffered by a server are cut
// into a pack before a flush asks for it: tens of MiB, so that a pack
// costs one object and one fsync for dozens of chunks, while the memory
// held by the buffer stays bounded.
const packTarget = 32 << 20

// packMagic ends every pack (docs/format.md).
const packMagic = "tuskpak1"

// packTrailer is the fixed end of a pack: the index's length as 4 bytes
// little-endian, then packMagic.
const packTrailer = 4 + len(packMagic)

func packKey(id string) string { return "packs/" + id[:2] + "/" + id }

// isPackKey reports whether an object key names a pack.
func isPackKey(key string) bool { return len(key) > 6 && key[:6] == "packs/" }

// isChunkKey reports whether an object key names a chunk.
func isChunkKey(key string) bool { return len(key) > 7 && key[:7] == "chunks/" }

// storedChunk is a chunk in its stored form, named by its object key.
type storedChunk struct {
	key  string
	data []byte
}

// encodePack lays the chunks out one after the other, followed by the
// pack's own index (each chunk's ID and length, in order) and the
// trailer. It returns the pack and where each chunk lies in it.
func encodePack(key string, chunks []storedChunk) ([]byte, []meta.PackEntry) {
	size := packTrailer
	for _, c := range chunks {
		size += len(c.data) + 32 + binary.MaxVarintLen64
	}
	out := make([]byte, 0, size)
	entries := make([]meta.PackEntry, len(chunks))
	for i, c := range chunks {
		entries[i] = meta.PackEntry{Chunk: c.key, Pack: key, Offset: int64(len(out)), Length: int64(len(c.data))}
		out = append(out, c.data...)
	}
	start := len(out)
	out = binary.AppendUvarint(out, uint64(len(chunks)))
	for _, c := range chunks {
		id, _ := hex.DecodeString(path.Base(c.key))
		out = append(out, id...)
		out = binary.AppendUvarint(out, uint64(len(c.data)))
	}
	out = binary.LittleEndian.AppendUint32(out, uint32(len(out)-start))
	return append(out, packMagic...), entries
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
	if string(tr[4:]) != packMagic {
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
	return decodePackIndex(key, idx, start)
}

// decodePackIndex decodes a pack's index, whose chunks end at end.
func decodePackIndex(key string, idx []byte, end int64) ([]meta.PackEntry, error) {
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
		if _, err := r.Read(id); err != nil {
			return nil, bad
		}
		n, err := binary.ReadUvarint(r)
		if err != nil || n > uint64(end-off) {
			return nil, bad
		}
		entries = append(entries, meta.PackEntry{Chunk: chunk.Key(hex.EncodeToString(id)), Pack: key, Offset: off, Length: int64(n)})
		off += int64(n)
	}
	if r.Len() != 0 || off != end {
		return nil, bad
	}
	return entries, nil
}

// writePack stores chunks as a new pack and returns its key and size and
// where each chunk lies; nothing records it yet. The pack is leased
// before it is written, so that if its server dies before recording it
// the collector deletes it once the lease ends, and it is durable when
// writePack returns.
func (a *API) writePack(ctx context.Context, chunks []storedChunk) (string, int64, []meta.PackEntry, error) {
	key := packKey(newID() + newID())
	if _, err := a.lease(ctx, []string{key}); err != nil {
		return "", 0, nil, fmt.Errorf("write pack: %w", err)
	}
	data, entries := encodePack(key, chunks)
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
		return "", 0, nil, fmt.Errorf("write pack of %d chunks: %w", len(chunks), err)
	}
	return key, int64(len(data)), entries, nil
}

// readStored returns a chunk's stored form: from this server's buffer
// of chunks not yet packed, from its pack, or, for a chunk stored before
// packs (format 3), from its own object.
func (a *API) readStored(ctx context.Context, id string) ([]byte, error) {
	key := chunk.Key(id)
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
			return nil, fmt.Errorf("read chunk %s: %w", id, err)
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
			return nil, fmt.Errorf("read chunk %s: %w", id, err)
		}
		return data, nil
	}
}
