package meta

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// PackEntry locates a chunk in a pack: the stored chunk (its format byte
// and payload) is the Length bytes at Offset of the pack object.
type PackEntry struct {
	Chunk  string // the chunk's object key (chunks/xx/id)
	Pack   string // the pack's object key (packs/xx/id)
	Offset int64
	Length int64
}

// PackUsage is how much of a pack the index still uses.
type PackUsage struct {
	Pack      string
	Size      int64 // the pack object's size
	Chunks    int   // chunks the index locates in it
	LiveBytes int64 // their stored bytes
}

// ErrPackCollected is returned by RecordPack for a pack the collector is
// deleting: its chunks must be stored again.
var ErrPackCollected = errors.New("the pack is being garbage collected")

// RecordPack records a written pack in one go: its size, the location of
// each chunk it holds (a chunk that another pack holds already keeps that
// location), and the pack and its chunks as written. The pack must have
// been leased (Lease) before it was written, so that the collector left
// it alone.
func (t *Tx) RecordPack(ctx context.Context, pack string, size int64, entries []PackEntry) error {
	res, err := t.exec(ctx, `UPDATE objects SET written = 1 WHERE key = ? AND deleting = 0`, pack)
	if err != nil {
		return fmt.Errorf("record pack %s: %w", pack, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("record pack %s: %w", pack, errors.Join(err, ErrPackCollected))
	}
	if _, err := t.exec(ctx, `INSERT INTO packs (key, size) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, pack, size); err != nil {
		return fmt.Errorf("record pack %s: %w", pack, err)
	}
	keys := make([]string, len(entries))
	for group := range slices.Chunk(entries, 200) {
		args := make([]any, 0, 4*len(group))
		for _, e := range group {
			args = append(args, e.Chunk, pack, e.Offset, e.Length)
		}
		if _, err := t.exec(ctx, `INSERT INTO pack_chunks (chunk, pack, off, len) VALUES `+
			rowPlaceholders(len(group), 4)+` ON CONFLICT (chunk) DO NOTHING`, args...); err != nil {
			return fmt.Errorf("record pack %s: index %d chunks: %w", pack, len(group), err)
		}
	}
	for i, e := range entries {
		keys[i] = e.Chunk
	}
	return t.MarkWritten(ctx, keys)
}

// rowPlaceholders returns n rows of m placeholders each, for a
// multi-row VALUES list.
func rowPlaceholders(n, m int) string {
	row := "(" + placeholders(m) + ")"
	return row + strings.Repeat(", "+row, n-1)
}

// ChunkLocation returns where a chunk is stored, if a pack holds it.
func (t *Tx) ChunkLocation(ctx context.Context, chunk string) (PackEntry, bool, error) {
	e := PackEntry{Chunk: chunk}
	err := t.queryRow(ctx, `SELECT pack, off, len FROM pack_chunks WHERE chunk = ?`, chunk).Scan(&e.Pack, &e.Offset, &e.Length)
	if isNoRows(err) {
		return e, false, nil
	}
	if err != nil {
		return e, false, fmt.Errorf("locate chunk %s: %w", chunk, err)
	}
	return e, true, nil
}

// PackChunks returns the chunks the index locates in a pack, in the
// order they are stored.
func (t *Tx) PackChunks(ctx context.Context, pack string) ([]PackEntry, error) {
	rows, err := t.query(ctx, `SELECT chunk, off, len FROM pack_chunks WHERE pack = ? ORDER BY off`, pack)
	if err != nil {
		return nil, fmt.Errorf("list the chunks of pack %s: %w", pack, err)
	}
	defer rows.Close()
	var out []PackEntry
	for rows.Next() {
		e := PackEntry{Pack: pack}
		if err := rows.Scan(&e.Chunk, &e.Offset, &e.Length); err != nil {
			return nil, fmt.Errorf("list the chunks of pack %s: %w", pack, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// PackUsages returns the use of every recorded pack, in key order.
func (t *Tx) PackUsages(ctx context.Context) ([]PackUsage, error) {
	rows, err := t.query(ctx, `SELECT p.key, p.size, COUNT(c.chunk), COALESCE(SUM(c.len), 0)
		FROM packs p LEFT JOIN pack_chunks c ON c.pack = p.key GROUP BY p.key, p.size ORDER BY p.key`)
	if err != nil {
		return nil, fmt.Errorf("list packs: %w", err)
	}
	defer rows.Close()
	var out []PackUsage
	for rows.Next() {
		var u PackUsage
		if err := rows.Scan(&u.Pack, &u.Size, &u.Chunks, &u.LiveBytes); err != nil {
			return nil, fmt.Errorf("list packs: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UnrecordedPacks lists packs that were leased, and perhaps written, but
// never recorded: their server died or was cut off in between. Keys are
// matched by their first bytes, not by a range, which PostgreSQL's
// collation of the column would order otherwise; it reads every row, but
// only a commit that refers to chunks not stored asks.
func (t *Tx) UnrecordedPacks(ctx context.Context) ([]string, error) {
	return t.keys(ctx, "list unrecorded packs", `SELECT key FROM objects WHERE substr(key, 1, 6) = 'packs/'
		AND written = 0 AND deleting = 0 ORDER BY key`)
}

// RecordRepack records a pack written by the collector with chunks
// copied from other packs: each entry's chunk is located in the new pack
// if it is still located in from[i], the pack it was copied from.
func (t *Tx) RecordRepack(ctx context.Context, pack string, size int64, entries []PackEntry, from []string) error {
	if err := t.RecordPack(ctx, pack, size, nil); err != nil {
		return err
	}
	for i, e := range entries {
		if _, err := t.exec(ctx, `UPDATE pack_chunks SET pack = ?, off = ?, len = ? WHERE chunk = ? AND pack = ?`,
			pack, e.Offset, e.Length, e.Chunk, from[i]); err != nil {
			return fmt.Errorf("move chunk %s from pack %s: %w", e.Chunk, from[i], err)
		}
	}
	return nil
}

// ClaimPackForDeletion marks a pack as being deleted if its lease has
// ended and the index locates no chunk in it; it reports whether the
// caller now owns the deletion.
func (t *Tx) ClaimPackForDeletion(ctx context.Context, pack string, now time.Time) (bool, error) {
	res, err := t.exec(ctx, `UPDATE objects SET deleting = 1 WHERE key = ? AND lease_until < ?
		AND NOT EXISTS (SELECT 1 FROM pack_chunks WHERE pack = ?)`, pack, nanos(now), pack)
	if err != nil {
		return false, fmt.Errorf("claim pack %s: %w", pack, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// UnpackedChunks returns up to limit chunks, in key order after the key
// after, that are written but located in no pack: stored on their own by
// format 3, to be migrated into packs.
func (t *Tx) UnpackedChunks(ctx context.Context, after string, limit int) ([]string, error) {
	return t.keys(ctx, "list chunks stored on their own", `SELECT key FROM objects o
		WHERE key > ? AND substr(key, 1, 7) = 'chunks/' AND written = 1 AND deleting = 0
		AND NOT EXISTS (SELECT 1 FROM pack_chunks c WHERE c.chunk = o.key) ORDER BY key LIMIT ?`, after, limit)
}
