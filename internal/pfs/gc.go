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
	Objects    int   `json:"objects"`     // objects deleted (or, in a dry run, that would be)
	BytesFreed int64 `json:"bytes_freed"` // their stored size
	Live       int   `json:"live"`        // objects reachable from some commit
	DryRun     bool  `json:"dry_run"`
}

// GC frees the chunks and tree nodes that no commit references. It only
// ever deletes an object whose lease (taken by every upload, and renewed
// by every upload that reuses it) has expired, claiming it in the
// metadata store first, so an upload in flight here or on another server
// sharing the stores never loses data.
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
	for _, key := range expired {
		if live[key] {
			continue
		}
		size := a.objectSize(ctx, key)
		if dryRun {
			stats.Objects++
			stats.BytesFreed += size
			continue
		}
		var claimed bool
		err := a.db.Update(ctx, func(tx *meta.Tx) error {
			var err error
			claimed, err = tx.ClaimForDeletion(ctx, key, now())
			return err
		})
		if err != nil {
			return stats, fmt.Errorf("gc: %w", err)
		}
		if !claimed {
			continue // leased again since we looked
		}
		if err := a.objects.Delete(ctx, key); err != nil {
			return stats, fmt.Errorf("gc: delete %s: %w", key, err)
		}
		if err := a.db.UpdateVolatile(ctx, func(tx *meta.Tx) error { return tx.ForgetObject(ctx, key) }); err != nil {
			return stats, fmt.Errorf("gc: %w", err)
		}
		stats.Objects++
		stats.BytesFreed += size
	}
	a.log.Info("garbage collection", "freed_objects", stats.Objects, "freed_bytes", stats.BytesFreed,
		"live_objects", stats.Live, "dry_run", dryRun, "took", time.Since(start))
	return stats, nil
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
