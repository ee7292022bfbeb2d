package meta

import (
	"context"
	"fmt"
	"time"
)

// A TokenRow is a stored credential: the hash of a token, never the token
// itself, and whom it speaks for. A zero Expires never expires. Worker
// is the worker a runner started with the token, "" for the tokens of
// people, robots and workers started elsewhere.
type TokenRow struct {
	Hash    string
	Subject string
	Created time.Time
	Expires time.Time
	Worker  string
}

// InsertToken stores a token's hash.
func (t *Tx) InsertToken(ctx context.Context, r TokenRow) error {
	var expires int64
	if !r.Expires.IsZero() {
		expires = nanos(r.Expires)
	}
	if _, err := t.exec(ctx, `INSERT INTO auth_tokens (hash, subject, created, expires, worker) VALUES (?, ?, ?, ?, ?)`,
		r.Hash, r.Subject, nanos(r.Created), expires, r.Worker); err != nil {
		return fmt.Errorf("store a token of %s: %w", r.Subject, err)
	}
	return nil
}

// Token returns the token with this hash; ok is false if there is none.
func (t *Tx) Token(ctx context.Context, hash string) (r TokenRow, ok bool, err error) {
	var created, expires int64
	err = t.queryRow(ctx, `SELECT subject, created, expires, worker FROM auth_tokens WHERE hash = ?`, hash).
		Scan(&r.Subject, &created, &expires, &r.Worker)
	if isNoRows(err) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("read token: %w", err)
	}
	r.Hash, r.Created = hash, fromNanos(created)
	if expires != 0 {
		r.Expires = fromNanos(expires)
	}
	return r, true, nil
}

// DeleteToken removes the token with this hash and reports whether there
// was one.
func (t *Tx) DeleteToken(ctx context.Context, hash string) (bool, error) {
	res, err := t.exec(ctx, `DELETE FROM auth_tokens WHERE hash = ?`, hash)
	if err != nil {
		return false, fmt.Errorf("revoke token: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// DeleteTokensOf removes every token of subject and returns how many
// there were.
func (t *Tx) DeleteTokensOf(ctx context.Context, subject string) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM auth_tokens WHERE subject = ?`, subject)
	if err != nil {
		return 0, fmt.Errorf("revoke the tokens of %s: %w", subject, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// DeleteWorkerTokens removes the tokens runners issued to the workers
// they started and returns how many there were.
func (t *Tx) DeleteWorkerTokens(ctx context.Context) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM auth_tokens WHERE worker <> ''`)
	if err != nil {
		return 0, fmt.Errorf("revoke the tokens of workers: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// DeleteExpiredTokens removes the tokens that expired before now.
func (t *Tx) DeleteExpiredTokens(ctx context.Context, now time.Time) error {
	if _, err := t.exec(ctx, `DELETE FROM auth_tokens WHERE expires <> 0 AND expires < ?`, nanos(now)); err != nil {
		return fmt.Errorf("remove expired tokens: %w", err)
	}
	return nil
}

// A Resource is what roles are bound on: the cluster (Kind "cluster",
// no name) or a repo of a project (Kind "repo").
type Resource struct {
	Kind    string
	Project string
	Name    string
}

// A RoleBinding gives a subject a role on a resource.
type RoleBinding struct {
	Resource Resource
	Subject  string
	Role     string
}

// SetRoles replaces the roles subject has on res with roles; no roles
// removes the subject from res.
func (t *Tx) SetRoles(ctx context.Context, res Resource, subject string, roles []string) error {
	if _, err := t.exec(ctx, `DELETE FROM role_bindings WHERE kind = ? AND project = ? AND name = ? AND subject = ?`,
		res.Kind, res.Project, res.Name, subject); err != nil {
		return fmt.Errorf("set roles of %s: %w", subject, err)
	}
	for _, role := range roles {
		if _, err := t.exec(ctx, `INSERT INTO role_bindings (kind, project, name, subject, role) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, res.Kind, res.Project, res.Name, subject, role); err != nil {
			return fmt.Errorf("set roles of %s: %w", subject, err)
		}
	}
	return nil
}

// RoleBindings returns the bindings on res, by subject and role.
func (t *Tx) RoleBindings(ctx context.Context, res Resource) ([]RoleBinding, error) {
	return t.roleBindings(ctx, `SELECT kind, project, name, subject, role FROM role_bindings
		WHERE kind = ? AND project = ? AND name = ? ORDER BY subject, role`, res.Kind, res.Project, res.Name)
}

// RoleBindingsOf returns every binding of subject, by resource and role.
func (t *Tx) RoleBindingsOf(ctx context.Context, subject string) ([]RoleBinding, error) {
	return t.roleBindings(ctx, `SELECT kind, project, name, subject, role FROM role_bindings
		WHERE subject = ? ORDER BY kind, project, name, role`, subject)
}

func (t *Tx) roleBindings(ctx context.Context, q string, args ...any) ([]RoleBinding, error) {
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read role bindings: %w", err)
	}
	defer rows.Close()
	var out []RoleBinding
	for rows.Next() {
		var b RoleBinding
		if err := rows.Scan(&b.Resource.Kind, &b.Resource.Project, &b.Resource.Name, &b.Subject, &b.Role); err != nil {
			return nil, fmt.Errorf("read role bindings: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}
