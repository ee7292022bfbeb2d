package pfs

import (
	"context"
	"fmt"
	"slices"

	"github.com/tuskdata/tusk/internal/meta"
)

// repackBelow is the live fraction of a pack below which the collector
// copies its live chunks into a new pack and deletes it: restic's
// default too. Above, the dead bytes cost less than the copy.
const repackBelow = 0.5

// repackPlan is what a repack copies: the live chunks of the packs that
// fell below repackBelow, cut into new packs of at most packTarget.
type repackPlan struct {
	packs []meta.PackUsage
	live  [][]meta.PackEntry // of each pack, the chunks to copy
	freed int64              // old packs' bytes less the new packs'
}

// planRepack finds the packs to repack, from their use once the sweep
// is done: usages in key order, usage as the sweep left it. A pack whose
// lease holds is left alone. The chunks gone are those the sweep freed
// (in a dry run they are still in the index).
func (a *API) planRepack(ctx context.Context, usages []meta.PackUsage, usage map[string]meta.PackUsage, expired, gone map[string]bool) (repackPlan, error) {
	var plan repackPlan
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		var batch []int64 // lengths of the chunks of the new pack being planned
		var batchBytes int64
		endBatch := func() {
			if len(batch) > 0 {
				plan.freed -= packSize(batch)
			}
			batch, batchBytes = nil, 0
		}
		for _, u := range usages {
			u = usage[u.Pack]
			if !expired[u.Pack] || u.Chunks == 0 || float64(u.LiveBytes) >= repackBelow*float64(u.Size) {
				continue
			}
			entries, err := tx.PackChunks(ctx, u.Pack)
			if err != nil {
				return err
			}
			live := slices.DeleteFunc(entries, func(e meta.PackEntry) bool { return gone[e.Chunk] })
			plan.packs = append(plan.packs, u)
			plan.live = append(plan.live, live)
			plan.freed += u.Size
			for _, e := range live {
				if batchBytes+e.Length > packTarget {
					endBatch()
				}
				batch = append(batch, e.Length)
				batchBytes += e.Length
			}
		}
		endBatch()
		return nil
	})
	return plan, err
}

// packSize returns the size of a pack of chunks of the given lengths.
func packSize(lengths []int64) int64 {
	n := int64(uvarintLen(uint64(len(lengths))) + packTrailer)
	for _, l := range lengths {
		n += l + int64(indexEntrySize(l))
	}
	return n
}

// repack carries out a plan: it copies the live chunks of each pack into
// new packs, records each new pack and the chunks' new places in one
// transaction, then deletes the old packs. A
// chunk whose bytes do not match its ID stays where it is (fsck reports
// it), and so does its pack.
func (a *API) repack(ctx context.Context, plan repackPlan) error {
	batch := &packBuilder{}
	var from []string
	write := func() error {
		if len(batch.entries) == 0 {
			return nil
		}
		key, size, entries, err := a.writePack(ctx, batch)
		if err != nil {
			return err
		}
		err = a.db.UpdateVolatile(ctx, func(tx *meta.Tx) error { return tx.RecordRepack(ctx, key, size, entries, from) })
		if err != nil {
			return fmt.Errorf("record pack %s: %w", key, err)
		}
		batch.release()
		from = nil
		return nil
	}
	for i, u := range plan.packs {
		data, err := a.objects.Get(ctx, u.Pack)
		if err != nil {
			return fmt.Errorf("repack %s: %w", u.Pack, err)
		}
		for _, e := range plan.live[i] {
			if e.Offset+e.Length > int64(len(data)) {
				continue
			}
			stored := data[e.Offset : e.Offset+e.Length]
			if err := checkStored(e.Chunk, stored); err != nil {
				a.log.Warn("a chunk does not match its address; left in its pack for fsck to report", "pack", u.Pack, "chunk", e.Chunk, "err", err)
				continue
			}
			if len(batch.data)+len(stored) > packTarget {
				if err := write(); err != nil {
					return fmt.Errorf("repack: %w", err)
				}
			}
			batch.add(e.Chunk, stored)
			from = append(from, u.Pack)
		}
	}
	if err := write(); err != nil {
		return fmt.Errorf("repack: %w", err)
	}
	for _, u := range plan.packs {
		if _, _, _, err := a.sweep(ctx, u.Pack, false); err != nil {
			return fmt.Errorf("repack: %w", err)
		}
	}
	return nil
}
