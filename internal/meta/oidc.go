package meta

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"
)

// OIDC logins in progress live here so that every server sharing the
// store can carry on a login another one began. Each method is one
// transaction of its own, and the ones that servers may race on (redeem
// a state, take an outcome) are conditional, so exactly one wins. The
// store holds only hashes and sealed bytes: package oidc seals them.

// An OIDCAttempt is a login in progress.
type OIDCAttempt struct {
	KeyHash   string // SHA-256 of the key the CLI waits with
	StateHash string // SHA-256 of the state sent through the provider
	Secrets   []byte // what the callback needs, sealed
	Expires   time.Time
	// Outcome is the login's result, sealed for the waiting CLI; nil
	// until the login is finished.
	Outcome []byte
}

// AddOIDCAttempt removes the attempts that expired before now, then
// stores a unless max attempts are in progress; added reports whether it
// stored it.
func (d *DB) AddOIDCAttempt(ctx context.Context, a OIDCAttempt, now time.Time, max int) (added bool, err error) {
	err = d.UpdateVolatile(ctx, func(tx *Tx) error {
		added = false
		if _, err := tx.exec(ctx, `DELETE FROM oidc_attempts WHERE expires < ?`, nanos(now)); err != nil {
			return fmt.Errorf("remove expired OIDC logins: %w", err)
		}
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM oidc_attempts`).Scan(&n); err != nil {
			return fmt.Errorf("count OIDC logins: %w", err)
		}
		if n >= max {
			return nil
		}
		if _, err := tx.exec(ctx, `INSERT INTO oidc_attempts (key_hash, state_hash, secrets, expires, redeemed, outcome)
			VALUES (?, ?, ?, ?, 0, '')`, a.KeyHash, a.StateHash, encode(a.Secrets), nanos(a.Expires)); err != nil {
			return fmt.Errorf("store an OIDC login: %w", err)
		}
		added = true
		return nil
	})
	return added, err
}

// RedeemOIDCState marks the attempt of a state redeemed and returns it
// (without its outcome); ok is false if there is none, or it was redeemed
// already.
func (d *DB) RedeemOIDCState(ctx context.Context, stateHash string) (a OIDCAttempt, ok bool, err error) {
	err = d.UpdateVolatile(ctx, func(tx *Tx) error {
		var secrets string
		var expires int64
		err := tx.queryRow(ctx, `UPDATE oidc_attempts SET redeemed = 1 WHERE state_hash = ? AND redeemed = 0
			RETURNING key_hash, secrets, expires`, stateHash).Scan(&a.KeyHash, &secrets, &expires)
		if isNoRows(err) {
			ok = false
			return nil
		}
		if err != nil {
			return fmt.Errorf("redeem an OIDC state: %w", err)
		}
		if a.Secrets, err = decode(secrets); err != nil {
			return fmt.Errorf("redeem an OIDC state: %w", err)
		}
		a.StateHash, a.Expires, ok = stateHash, fromNanos(expires), true
		return nil
	})
	return a, ok, err
}

// FinishOIDCAttempt stores the outcome of a redeemed attempt that has
// none yet, and reports whether it did.
func (d *DB) FinishOIDCAttempt(ctx context.Context, keyHash string, outcome []byte) (ok bool, err error) {
	err = d.UpdateVolatile(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE oidc_attempts SET outcome = ? WHERE key_hash = ? AND redeemed = 1 AND outcome = ''`,
			encode(outcome), keyHash)
		if err != nil {
			return fmt.Errorf("finish an OIDC login: %w", err)
		}
		n, err := res.RowsAffected()
		ok = n > 0
		return err
	})
	return ok, err
}

// TakeOIDCOutcome returns the attempt of a key; if it has an outcome, it
// also removes it, so that an outcome is taken once. found is false if
// there is no such attempt.
func (d *DB) TakeOIDCOutcome(ctx context.Context, keyHash string) (a OIDCAttempt, found bool, err error) {
	err = d.UpdateVolatile(ctx, func(tx *Tx) error {
		var outcome string
		var expires int64
		err := tx.queryRow(ctx, `DELETE FROM oidc_attempts WHERE key_hash = ? AND outcome <> ''
			RETURNING state_hash, expires, outcome`, keyHash).Scan(&a.StateHash, &expires, &outcome)
		if isNoRows(err) {
			a.Outcome = nil
			err = tx.queryRow(ctx, `SELECT state_hash, expires FROM oidc_attempts WHERE key_hash = ?`, keyHash).
				Scan(&a.StateHash, &expires)
		} else if err == nil {
			a.Outcome, err = decode(outcome)
		}
		if isNoRows(err) {
			found = false
			return nil
		}
		if err != nil {
			return fmt.Errorf("read an OIDC login: %w", err)
		}
		a.KeyHash, a.Expires, found = keyHash, fromNanos(expires), true
		return nil
	})
	return a, found, err
}

// Sealed bytes are kept as base64 text: both dialects store text alike.
func encode(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func decode(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("sealed bytes: %w", err)
	}
	return b, nil
}
