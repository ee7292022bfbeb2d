package pfs

import (
	"context"
	"fmt"
	"time"

	"github.com/tuskdata/tusk/internal/chunk"
	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/meta"
)

// GCStats reports what a collection found and freed.
type GCStats struct {
	Objects    int   `json:"objects"`     // chunks, tree nodes and packs deleted (or, in a dry run, that would be)
	BytesFreed int64 `json:"bytes_freed"` // the stored bytes that frees
	Live       int   `json:"live"`        // objects reachable from some commit
	Repacked   int   `json:"repacked"`    // packs less than half used whose live chunks were copied into new ones
	DryRun     bool  `json:"dry_run"`
}

// GC frees the chunks and tree nodes that no commit references, and the
// packs that then hold no chunk; a pack less than half used is repacked
// (repack.go). It only ever deletes an object whose
// lease (taken by every upload, and renewed by every upload that reuses
// it) has expired, claiming it in the metadata store first, so an upload
// in flight here or on another server sharing the stores never loses
// data. A chunk in a pack is deleted from the index; its pack goes once
// it holds none.
func (a *API) GC(ctx context.Context, dryRun bool) (GCStats, error) {
	stats := GCStats{DryRun: dryRun}
	var roots []string
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		var err error
		roots, err = tx.AllRoots(ctx)
		return err
	})
	if err != nil {
		return stats, fmt.Errorf("gc: %w", err)
	}
	live, err := a.mark(ctx, roots)
	if err != nil {
		return stats, fmt.Errorf("gc: %w", err)
	}
	stats.Live = len(live)
	start := now()
	var expired []string
	err = a.db.View(ctx, func(tx *meta.Tx) error {
		var err error
		expired, err = tx.ExpiredObjects(ctx, start)
		return err
	})
	if err != nil {
		return stats, fmt.Errorf("gc: %w", err)
	}
	var usages []meta.PackUsage
	err = a.db.View(ctx, func(tx *meta.Tx) error {
		var err error
		usages, err = tx.PackUsages(ctx)
		return err
	})
	if err != nil {
		return stats, fmt.Errorf("gc: %w", err)
	}
	usage := map[string]meta.PackUsage{}
	for _, u := range usages {
		usage[u.Pack] = u
	}
	isExpired := map[string]bool{}
	gone := map[string]bool{} // chunks freed from packs
	// Chunks sort before packs: a pack is looked at once its chunks are.
	for _, key := range expired {
		isExpired[key] = true
		if live[key] || usage[key].Chunks > 0 {
			continue
		}
		freed, size, loc, err := a.sweep(ctx, key, dryRun)
		if err != nil {
			return stats, fmt.Errorf("gc: %w", err)
		}
		if !freed {
			continue
		}
		stats.Objects++
		stats.BytesFreed += size
		if u, ok := usage[loc.Pack]; ok {
			u.Chunks--
			u.LiveBytes -= loc.Length
			usage[loc.Pack] = u
			gone[key] = true
		}
	}
	plan, err := a.planRepack(ctx, usages, usage, isExpired, gone)
	if err != nil {
		return stats, fmt.Errorf("gc: plan repacking: %w", err)
	}
	if !dryRun {
		if err := a.repack(ctx, plan); err != nil {
			return stats, fmt.Errorf("gc: %w", err)
		}
	}
	stats.Repacked = len(plan.packs)
	stats.BytesFreed += plan.freed
	a.log.Info("garbage collection", "freed_objects", stats.Objects, "freed_bytes", stats.BytesFreed,
		"live_objects", stats.Live, "repacked", stats.Repacked, "dry_run", dryRun, "took", time.Since(start))
	return stats, nil
}

// sweep deletes an object that no commit references and whose lease had
// ended, unless it has been leased again since, and returns whether it
// did (or, in a dry run, would), the stored bytes that freed, and for a
// chunk in a pack where it was. A pack is deleted only when the index
// locates no chunk in it.
func (a *API) sweep(ctx context.Context, key string, dryRun bool) (bool, int64, meta.PackEntry, error) {
	var loc meta.PackEntry
	var packed bool
	if !isPackKey(key) {
		err := a.db.View(ctx, func(tx *meta.Tx) error {
			var err error
			loc, packed, err = tx.ChunkLocation(ctx, key)
			return err
		})
		if err != nil {
			return false, 0, loc, err
		}
	}
	var size int64
	if !packed {
		size = a.objectSize(ctx, key)
	}
	if dryRun {
		return true, size, loc, nil
	}
	var claimed bool
	err := a.db.Update(ctx, func(tx *meta.Tx) error {
		var err error
		if isPackKey(key) {
			claimed, err = tx.ClaimPackForDeletion(ctx, key, now())
		} else {
			claimed, err = tx.ClaimForDeletion(ctx, key, now())
		}
		return err
	})
	if err != nil || !claimed {
		return false, 0, loc, err // leased again since we looked, or a pack still in use
	}
	if !packed {
		if err := a.objects.Delete(ctx, key); err != nil {
			return false, 0, loc, fmt.Errorf("delete %s: %w", key, err)
		}
	}
	if err := a.db.UpdateVolatile(ctx, func(tx *meta.Tx) error { return tx.ForgetObject(ctx, key) }); err != nil {
		return false, 0, loc, err
	}
	return true, size, loc, nil
}

func (a *API) objectSize(ctx context.Context, key string) int64 {
	if info, err := a.objects.Stat(ctx, key); err == nil {
		return info.Size
	}
	return 0
}

// mark returns the keys of every object reachable from the roots.
func (a *API) mark(ctx context.Context, roots []string) (map[string]bool, error) {
	live := map[string]bool{}
	st := nodeReader{a}
	for _, r := range roots {
		err := fileset.Walk(ctx, st, r, func(id string) bool {
			k := nodeKey(id)
			if live[k] {
				return true
			}
			live[k] = true
			return false
		}, func(f fileset.File) error {
			for _, ref := range f.Refs {
				live[chunk.Key(ref.Chunk)] = true
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("mark from root %s: %w", r, err)
		}
	}
	return live, nil
}

// RunGC collects garbage every interval until ctx ends.
func (a *API) RunGC(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := a.GC(ctx, false); err != nil && ctx.Err() == nil {
				a.log.Error("garbage collection failed", "err", err)
			}
		}
	}
}
