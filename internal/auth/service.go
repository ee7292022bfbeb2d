package auth

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Service keeps identities, tokens and roles in a metadata store.
type Service struct {
	db  *meta.DB
	now func() time.Time

	// What tokens were found to speak for, for cacheTTL: every request
	// is authenticated, and most come in runs from the same caller.
	// Any change made through this service empties the cache, so a
	// revocation or a new role takes effect at once on this server; on
	// another server sharing the store, within cacheTTL.
	mu    sync.Mutex
	gen   uint64 // counts the changes
	cache map[string]cachedGrants
}

// cacheTTL is how long an authentication is reused.
const cacheTTL = 2 * time.Second

// maxCached bounds the cache; past it, it is emptied.
const maxCached = 10000

type cachedGrants struct {
	grants  Grants
	expires time.Time // the token's; zero never
	at      time.Time
}

// New returns the service over db.
func New(db *meta.DB) *Service {
	return &Service{db: db, now: time.Now, cache: map[string]cachedGrants{}}
}

// update runs fn in a transaction, then forgets every cached
// authentication.
func (s *Service) update(ctx context.Context, fn func(*meta.Tx) error) error {
	err := s.db.Update(ctx, fn)
	s.mu.Lock()
	s.gen++
	clear(s.cache)
	s.mu.Unlock()
	return err
}

// configInactive is the config key that, set to "true", turns
// authentication off (auth deactivate). It is on otherwise.
const configInactive = "auth_inactive"

// Active reports whether authentication is on.
func (s *Service) Active(ctx context.Context) (bool, error) {
	var off bool
	err := s.db.View(ctx, func(tx *meta.Tx) error {
		v, ok, err := tx.Config(ctx, configInactive)
		off = ok && v == "true"
		return err
	})
	return !off, err
}

// Activate turns authentication on and returns a new token of Admin,
// which is given clusterAdmin: whoever activates holds the first key.
func (s *Service) Activate(ctx context.Context) (string, error) {
	var token string
	err := s.update(ctx, func(tx *meta.Tx) error {
		v, _, err := tx.Config(ctx, configInactive)
		if err != nil {
			return err
		}
		if v != "true" {
			return tusk.Errorf(tusk.KindConflict, "authentication is already active").
				WithHint("log in with: tusk auth login --token TOKEN")
		}
		if err := tx.SetConfig(ctx, configInactive, "false"); err != nil {
			return err
		}
		token, err = s.issueAdmin(ctx, tx)
		return err
	})
	return token, err
}

// Deactivate turns authentication off: every request may then do
// anything. Tokens and roles are kept for when it is activated again.
func (s *Service) Deactivate(ctx context.Context) error {
	return s.update(ctx, func(tx *meta.Tx) error { return tx.SetConfig(ctx, configInactive, "true") })
}

// EnsureAdmin returns a token of a cluster admin for the server's own
// CLI configuration: existing if it is still a valid token of a cluster
// admin, else a new token of Admin (made a cluster admin). created says
// which. Whoever starts the server owns its data directory, so it may
// always hand itself this key.
func (s *Service) EnsureAdmin(ctx context.Context, existing string) (token string, created bool, err error) {
	if existing != "" {
		if g, err := s.Authenticate(ctx, existing); err == nil && g.Admin {
			return existing, false, nil
		}
	}
	err = s.update(ctx, func(tx *meta.Tx) (err error) {
		token, err = s.issueAdmin(ctx, tx)
		return err
	})
	return token, err == nil, err
}

// MinAdoptedToken is the shortest token AdoptAdmin takes: a token that
// an operator chose must be as hard to guess as one the server makes
// (newToken: 32 random bytes, 43 characters in base64).
const MinAdoptedToken = 32

// AdoptAdmin makes token, chosen by the operator (a Kubernetes Secret
// mounted into every server of a cluster), a token of Admin, so that the
// first cluster admin of a deployment is known before any server starts.
// It is idempotent; a token revoked earlier is valid again, since the
// operator who holds the secret decides.
func (s *Service) AdoptAdmin(ctx context.Context, token string) error {
	token = strings.TrimSpace(token)
	if len(token) < MinAdoptedToken {
		return tusk.Errorf(tusk.KindInvalid, "the admin token is %d characters long; it must have at least %d", len(token), MinAdoptedToken).
			WithHint("make one with: head -c 32 /dev/urandom | base64")
	}
	return s.update(ctx, func(tx *meta.Tx) error {
		if err := tx.SetRoles(ctx, Cluster, Admin, []string{ClusterAdmin}); err != nil {
			return err
		}
		row, ok, err := tx.Token(ctx, hashToken(token))
		switch {
		case err != nil:
			return err
		case ok && row.Subject == Admin && row.Expires.IsZero():
			return nil
		case ok:
			return tusk.Errorf(tusk.KindConflict, "the admin token is already a token of %s", row.Subject).
				WithHint("choose another token for the admin")
		}
		return tx.InsertToken(ctx, meta.TokenRow{Hash: hashToken(token), Subject: Admin, Created: s.now()})
	})
}

func (s *Service) issueAdmin(ctx context.Context, tx *meta.Tx) (string, error) {
	if err := tx.SetRoles(ctx, Cluster, Admin, []string{ClusterAdmin}); err != nil {
		return "", err
	}
	return s.issue(ctx, tx, Admin, 0)
}

// Issue returns a new token of subject, valid for ttl (0: until revoked).
func (s *Service) Issue(ctx context.Context, subject string, ttl time.Duration) (string, error) {
	var token string
	err := s.update(ctx, func(tx *meta.Tx) (err error) {
		token, err = s.issue(ctx, tx, subject, ttl)
		return err
	})
	return token, err
}

func (s *Service) issue(ctx context.Context, tx *meta.Tx, subject string, ttl time.Duration) (string, error) {
	token, now := newToken(), s.now()
	row := meta.TokenRow{Hash: hashToken(token), Subject: subject, Created: now}
	if ttl > 0 {
		row.Expires = now.Add(ttl)
	}
	return token, tx.InsertToken(ctx, row)
}

// Authenticate returns the grants of the subject token speaks for. An
// unknown, revoked or expired token is an error of kind unauthenticated.
func (s *Service) Authenticate(ctx context.Context, token string) (Grants, error) {
	hash, now := hashToken(token), s.now()
	s.mu.Lock()
	c, ok := s.cache[hash]
	gen := s.gen
	s.mu.Unlock()
	if ok && now.Sub(c.at) < cacheTTL && (c.expires.IsZero() || !now.After(c.expires)) {
		return c.grants, nil
	}
	var g Grants
	var expires time.Time
	err := s.db.View(ctx, func(tx *meta.Tx) error {
		row, ok, err := tx.Token(ctx, hash)
		if err != nil {
			return err
		}
		if !ok {
			return tusk.Errorf(tusk.KindUnauthenticated, "the token is not valid (revoked, or never issued by this server)").
				WithHint("run tusk auth login")
		}
		if !row.Expires.IsZero() && s.now().After(row.Expires) {
			return tusk.Errorf(tusk.KindUnauthenticated, "the token of %s expired at %s", row.Subject, row.Expires.Format(time.RFC3339)).
				WithHint("run tusk auth login with a new token")
		}
		bs, err := tx.RoleBindingsOf(ctx, row.Subject)
		g, expires = grantsOf(row.Subject, bs), row.Expires
		return err
	})
	if err != nil {
		return g, err
	}
	s.mu.Lock()
	if s.gen == gen {
		if len(s.cache) >= maxCached {
			clear(s.cache)
		}
		s.cache[hash] = cachedGrants{grants: g, expires: expires, at: now}
	}
	s.mu.Unlock()
	return g, nil
}

// Grants returns what subject may do.
func (s *Service) Grants(ctx context.Context, subject string) (Grants, error) {
	var bs []meta.RoleBinding
	err := s.db.View(ctx, func(tx *meta.Tx) (err error) {
		bs, err = tx.RoleBindingsOf(ctx, subject)
		return err
	})
	return grantsOf(subject, bs), err
}

// Revoke revokes a token; revoking an unknown token is not found.
func (s *Service) Revoke(ctx context.Context, token string) error {
	return s.update(ctx, func(tx *meta.Tx) error {
		ok, err := tx.DeleteToken(ctx, hashToken(token))
		if err == nil && !ok {
			err = tusk.Errorf(tusk.KindNotFound, "no such token (already revoked, or expired)")
		}
		return err
	})
}

// RevokeAll revokes every token of subject and returns how many there
// were.
func (s *Service) RevokeAll(ctx context.Context, subject string) (int, error) {
	var n int
	err := s.update(ctx, func(tx *meta.Tx) (err error) {
		n, err = tx.DeleteTokensOf(ctx, subject)
		return err
	})
	return n, err
}

// SetPipelineRoles gives the identity of pipeline reader on its inputs
// and writer on its output, and no other role.
func (s *Service) SetPipelineRoles(ctx context.Context, pipeline string, inputs []meta.Resource, output meta.Resource) error {
	subject := Pipeline(pipeline)
	return s.update(ctx, func(tx *meta.Tx) error {
		if err := dropRoles(ctx, tx, subject); err != nil {
			return err
		}
		for _, in := range inputs {
			if err := tx.SetRoles(ctx, in, subject, []string{RepoReader}); err != nil {
				return err
			}
		}
		return tx.SetRoles(ctx, output, subject, []string{RepoWriter})
	})
}

// Forget removes subject: its tokens and every role it has.
func (s *Service) Forget(ctx context.Context, subject string) error {
	return s.update(ctx, func(tx *meta.Tx) error {
		if _, err := tx.DeleteTokensOf(ctx, subject); err != nil {
			return err
		}
		return dropRoles(ctx, tx, subject)
	})
}

// dropRoles removes every role of subject.
func dropRoles(ctx context.Context, tx *meta.Tx, subject string) error {
	bs, err := tx.RoleBindingsOf(ctx, subject)
	if err != nil {
		return err
	}
	for _, b := range bs {
		if err := tx.SetRoles(ctx, b.Resource, subject, nil); err != nil {
			return err
		}
	}
	return nil
}

// RevokeWorkers revokes the tokens that runners issued to the workers
// they started: when a server begins to lead, those of the workers of
// earlier leaders.
// Tokens an admin issued for workers started elsewhere stay.
func (s *Service) RevokeWorkers(ctx context.Context) error {
	return s.update(ctx, func(tx *meta.Tx) error {
		_, err := tx.DeleteWorkerTokens(ctx)
		return err
	})
}

// IssueWorker returns a new token of pipeline for worker, one its runner
// starts; RevokeWorkers revokes it.
func (s *Service) IssueWorker(ctx context.Context, pipeline, worker string) (string, error) {
	token := newToken()
	row := meta.TokenRow{Hash: hashToken(token), Subject: Pipeline(pipeline), Created: s.now(), Worker: worker}
	err := s.update(ctx, func(tx *meta.Tx) error { return tx.InsertToken(ctx, row) })
	return token, err
}

// RemoveExpired deletes the tokens that have expired.
func (s *Service) RemoveExpired(ctx context.Context) error {
	return s.update(ctx, func(tx *meta.Tx) error { return tx.DeleteExpiredTokens(ctx, s.now()) })
}

// SetRoles replaces the roles subject has on res.
func (s *Service) SetRoles(ctx context.Context, res meta.Resource, subject string, roles []string) error {
	return s.update(ctx, func(tx *meta.Tx) error {
		if err := tx.SetRoles(ctx, res, subject, roles); err != nil {
			return fmt.Errorf("set roles on %s %s: %w", res.Kind, res.Name, err)
		}
		return nil
	})
}

// Bindings returns the role bindings on res.
func (s *Service) Bindings(ctx context.Context, res meta.Resource) ([]meta.RoleBinding, error) {
	var bs []meta.RoleBinding
	err := s.db.View(ctx, func(tx *meta.Tx) (err error) {
		bs, err = tx.RoleBindings(ctx, res)
		return err
	})
	return bs, err
}
