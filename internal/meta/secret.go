package meta

import (
	"context"
	"fmt"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

// A SealedSecret is a secret as the store keeps it: its name, type and
// creation time in the clear, its values sealed (package secret seals
// them; the store never sees them in the clear).
type SealedSecret struct {
	Name    string
	Type    string
	Created time.Time
	Sealed  []byte
}

// CreateSecret stores a secret; one of that name is tusk.ErrExists.
func (d *DB) CreateSecret(ctx context.Context, s SealedSecret) error {
	return d.Update(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO secrets (name, type, created, sealed) VALUES (?, ?, ?, ?)`,
			s.Name, s.Type, nanos(s.Created), encode(s.Sealed))
		if isUniqueViolation(err) {
			return tusk.Errorf(tusk.KindExists, "secret %q already exists", s.Name)
		}
		if err != nil {
			return fmt.Errorf("create secret %s: %w", s.Name, err)
		}
		return nil
	})
}

// Secret returns the secret name, or a NotFound.
func (d *DB) Secret(ctx context.Context, name string) (SealedSecret, error) {
	s := SealedSecret{Name: name}
	err := d.View(ctx, func(tx *Tx) error {
		var created int64
		var sealed string
		err := tx.queryRow(ctx, `SELECT type, created, sealed FROM secrets WHERE name = ?`, name).Scan(&s.Type, &created, &sealed)
		if isNoRows(err) {
			return notFound(NotFound{What: MissingSecret}, "secret %q not found", name)
		}
		if err != nil {
			return fmt.Errorf("read secret %s: %w", name, err)
		}
		s.Created = fromNanos(created)
		if s.Sealed, err = decode(sealed); err != nil {
			return fmt.Errorf("read secret %s: %w", name, err)
		}
		return nil
	})
	return s, err
}

// Secrets returns every secret, by name.
func (d *DB) Secrets(ctx context.Context) ([]SealedSecret, error) {
	var out []SealedSecret
	err := d.View(ctx, func(tx *Tx) error {
		out = out[:0]
		rows, err := tx.query(ctx, `SELECT name, type, created, sealed FROM secrets ORDER BY name`)
		if err != nil {
			return fmt.Errorf("list secrets: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var s SealedSecret
			var created int64
			var sealed string
			if err := rows.Scan(&s.Name, &s.Type, &created, &sealed); err != nil {
				return fmt.Errorf("list secrets: %w", err)
			}
			s.Created = fromNanos(created)
			if s.Sealed, err = decode(sealed); err != nil {
				return fmt.Errorf("read secret %s: %w", s.Name, err)
			}
			out = append(out, s)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("list secrets: %w", err)
		}
		return nil
	})
	return out, err
}

// DeleteSecret removes the secret name, or returns a NotFound.
func (d *DB) DeleteSecret(ctx context.Context, name string) error {
	return d.Update(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `DELETE FROM secrets WHERE name = ?`, name)
		if err != nil {
			return fmt.Errorf("delete secret %s: %w", name, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return fmt.Errorf("delete secret %s: %w", name, err)
			}
			return notFound(NotFound{What: MissingSecret}, "secret %q not found", name)
		}
		return nil
	})
}
