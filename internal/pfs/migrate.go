package pfs

import (
	"context"
	"errors"
	"fmt"
	"path"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/chunk"
	"github.com/tuskdata/tusk/internal/meta"
)

// unpackedKey is the configuration key that says a store of format 2 or
// 3 still has chunks stored on their own, to be moved into packs.
const unpackedKey = "unpacked_chunks"

// migrateChunks moves the chunks that a store of format 2 or 3 stored on
// their own into packs, a pack's worth at a time: each pack is written
// and recorded before the chunks' own objects are deleted, so a reader
// finds every chunk in one place or the other throughout, and an
// interrupted migration goes on where it stopped at the next open. A
// chunk whose object is missing or damaged is left as it is, for fsck
// to report.
func (a *API) migrateChunks(ctx context.Context) error {
	var after string
	var moved, left int
	for {
		var keys []string
		err := a.db.View(ctx, func(tx *meta.Tx) error {
			var err error
			keys, err = tx.UnpackedChunks(ctx, after, 1000)
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate chunks into packs: %w", err)
		}
		if len(keys) == 0 {
			break
		}
		after = keys[len(keys)-1]
		batch := &packBuilder{}
		for _, key := range keys {
			data, err := a.objects.Get(ctx, key)
			if err == nil {
				_, err = chunk.Decode(path.Base(key), data)
			}
			if errors.Is(err, blob.ErrNotFound) || errors.Is(err, chunk.ErrCorrupt) {
				a.log.Warn("a chunk stored on its own cannot be moved into a pack; fsck reports the files that need it", "key", key, "err", err)
				left++
				continue
			}
			if err != nil {
				return fmt.Errorf("migrate chunk %s into a pack: %w", key, err)
			}
			if len(batch.data)+len(data) > packTarget {
				if err := a.packLoose(ctx, batch); err != nil {
					return err
				}
				batch = &packBuilder{}
			}
			batch.add(key, data)
		}
		if err := a.packLoose(ctx, batch); err != nil {
			return err
		}
		moved += len(keys)
		a.log.Info("moving chunks into packs", "chunks", moved)
	}
	err := a.db.Update(ctx, func(tx *meta.Tx) error { return tx.SetConfig(ctx, unpackedKey, "0") })
	if err != nil {
		return fmt.Errorf("migrate chunks into packs: %w", err)
	}
	a.log.Info("chunks stored on their own are now in packs", "chunks", moved-left, "left", left)
	return nil
}

// packLoose writes loose chunks (stored on their own) into a pack, records it, and
// then deletes their own objects.
func (a *API) packLoose(ctx context.Context, batch *packBuilder) error {
	if len(batch.entries) == 0 {
		return nil
	}
	key, size, entries, err := a.writePack(ctx, batch)
	if err != nil {
		return fmt.Errorf("migrate chunks into packs: %w", err)
	}
	if err := a.db.UpdateVolatile(ctx, func(tx *meta.Tx) error { return tx.RecordPack(ctx, key, size, entries) }); err != nil {
		return fmt.Errorf("migrate chunks into packs: record %s: %w", key, err)
	}
	for _, e := range entries {
		if err := a.objects.Delete(ctx, e.Chunk); err != nil {
			return fmt.Errorf("migrate chunks into packs: %w", err)
		}
	}
	batch.release()
	return nil
}
