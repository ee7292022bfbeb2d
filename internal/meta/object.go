package meta

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Object states returned by Lease.
const (
	ObjectMissing  = iota // not stored yet: the caller must write it
	ObjectPresent         // stored and now leased
	ObjectDeleting        // being deleted by the collector: retry shortly
)

// Lease protects objects from the garbage collector until the given time
// and reports, for each key, whether it is already stored. Keys not yet
// known are recorded as unwritten so that the collector also leaves an
// upload in flight alone.
func (t *Tx) Lease(ctx context.Context, keys []string, until time.Time) ([]int, error) {
	out := make([]int, len(keys))
	u := nanos(until)
	for i, k := range keys {
		var written, deleting int
		err := t.queryRow(ctx, `INSERT INTO objects (key, lease_until, written, deleting) VALUES (?, ?, 0, 0)
			ON CONFLICT (key) DO UPDATE SET lease_until = excluded.lease_until
			WHERE objects.deleting = 0 AND objects.lease_until < excluded.lease_until
			RETURNING written, deleting`, k, u).Scan(&written, &deleting)
		if isNoRows(err) {
			// Deleting, or leased long enough already.
			err = t.queryRow(ctx, `SELECT written, deleting FROM objects WHERE key = ?`, k).Scan(&written, &deleting)
		}
		switch {
		case err != nil:
			return nil, fmt.Errorf("lease %s: %w", k, err)
		case deleting != 0:
			out[i] = ObjectDeleting
		case written != 0:
			out[i] = ObjectPresent
		default:
			out[i] = ObjectMissing
		}
	}
	return out, nil
}

// MarkWritten records that objects have been durably stored, except those
// the collector is deleting. It costs one statement per 500 keys, not one
// per key: a flush after a large upload marks hundreds of chunks.
func (t *Tx) MarkWritten(ctx context.Context, keys []string) error {
	for group := range slices.Chunk(keys, 500) {
		args := make([]any, len(group))
		for i, k := range group {
			args[i] = k
		}
		if _, err := t.exec(ctx, `UPDATE objects SET written = 1 WHERE deleting = 0 AND key IN (`+
			placeholders(len(group))+`)`, args...); err != nil {
			return fmt.Errorf("mark %d objects written, %s first: %w", len(group), group[0], err)
		}
	}
	return nil
}

// ExpiredObjects lists objects whose lease ended before now, for the
// collector's sweep.
func (t *Tx) ExpiredObjects(ctx context.Context, now time.Time) ([]string, error) {
	return t.keys(ctx, "list expired objects", `SELECT key FROM objects WHERE lease_until < ? ORDER BY key`, nanos(now))
}

// keys runs a query of object keys and returns them; what says what it
// does, for errors.
func (t *Tx) keys(ctx context.Context, what, q string, args ...any) ([]string, error) {
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// ClaimForDeletion marks an object as being deleted if its lease has still
// ended; it reports whether the caller now owns the deletion.
func (t *Tx) ClaimForDeletion(ctx context.Context, key string, now time.Time) (bool, error) {
	res, err := t.exec(ctx, `UPDATE objects SET deleting = 1 WHERE key = ? AND lease_until < ?`, key, nanos(now))
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", key, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ForgetObject removes an object's row once its data is gone: for a
// chunk also its location in a pack, for a pack also its record.
func (t *Tx) ForgetObject(ctx context.Context, key string) error {
	for _, q := range []string{`DELETE FROM objects WHERE key = ?`, `DELETE FROM pack_chunks WHERE chunk = ?`, `DELETE FROM packs WHERE key = ?`} {
		if _, err := t.exec(ctx, q, key); err != nil {
			return fmt.Errorf("forget %s: %w", key, err)
		}
	}
	return nil
}

// ObjectKnown reports whether an object has a row and is written.
func (t *Tx) ObjectKnown(ctx context.Context, key string) (bool, error) {
	var written int
	err := t.queryRow(ctx, `SELECT written FROM objects WHERE key = ?`, key).Scan(&written)
	if isNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read object %s: %w", key, err)
	}
	return written != 0, nil
}
