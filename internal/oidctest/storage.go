package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// keyID names the provider's one signing key in its JWKS.
const keyID = "key-1"

// storage is the provider's state, in memory: what op.Storage asks for.
// It supports the authorization code flow and userinfo; every other
// grant is refused.
type storage struct {
	mu       sync.Mutex
	client   client
	users    map[string]User
	requests map[string]*authRequest // by ID
	codes    map[string]string       // code → request ID
	tokens   map[string]accessToken  // by ID
	fault    Fault
	key      *rsa.PrivateKey // signs ID tokens; published
	forgery  *rsa.PrivateKey // signs ID tokens under the Forged fault; never published
}

type accessToken struct {
	subject string
	scopes  []string
	expires time.Time
}

var _ op.Storage = (*storage)(nil)

// errUnsupported refuses what a test provider does not do.
var errUnsupported = errors.New("not supported by the test provider")

func newStorage(opts Options, key, forgery *rsa.PrivateKey) *storage {
	s := &storage{
		client: client{id: opts.ClientID, secret: opts.ClientSecret, redirects: slices.Clone(opts.RedirectURIs),
			lifetime: idTokenLifetime, claimsInTokens: !opts.ClaimsOnlyInUserinfo},
		users:    map[string]User{},
		requests: map[string]*authRequest{},
		codes:    map[string]string{},
		tokens:   map[string]accessToken{},
		key:      key,
		forgery:  forgery,
	}
	for _, u := range opts.Users {
		s.users[u.Subject] = u
	}
	return s
}

func newID() string { return rand.Text() }

// logIn checks a user's password and, if it is right, marks the request
// as done by that user.
func (s *storage) logIn(requestID, username, password string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[requestID]
	if !ok {
		return errors.New("no such authorization request")
	}
	u, ok := s.users[username]
	if !ok || subtle.ConstantTimeCompare([]byte(u.Password), []byte(password)) != 1 {
		return errors.New("wrong user name or password")
	}
	r.subject, r.authTime = u.Subject, time.Now()
	return nil
}

func (s *storage) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := &authRequest{id: newID(), req: *req, audience: []string{req.ClientID}, nonce: req.Nonce}
	s.requests[r.id] = r
	return r, nil
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok {
		return nil, fmt.Errorf("authorization request %s not found", id)
	}
	return r, nil
}

// AuthRequestByCode returns the request a code was issued for, as the ID
// token will describe it: with the provider's fault applied.
func (s *storage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[s.codes[code]]
	if !ok {
		return nil, errors.New("unknown or used code")
	}
	c := *r
	switch s.fault {
	case WrongAudience:
		c.req.ClientID, c.audience = otherClient, []string{otherClient}
	case WrongNonce:
		c.nonce = newID()
	}
	return &c, nil
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest forgets a request and its codes, so that a code is
// redeemed once.
func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
	return nil
}

func (s *storage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, exp := newID(), time.Now().Add(5*time.Minute)
	s.tokens[id] = accessToken{subject: req.GetSubject(), scopes: req.GetScopes(), expires: exp}
	return id, exp, nil
}

func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, fmt.Errorf("refresh tokens: %w", errUnsupported)
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, fmt.Errorf("refresh tokens: %w", errUnsupported)
}

func (s *storage) TerminateSession(context.Context, string, string) error {
	return fmt.Errorf("end session: %w", errUnsupported)
}

func (s *storage) RevokeToken(context.Context, string, string, string) *oidc.Error {
	return oidc.ErrUnsupportedGrantType().WithDescription("revocation is not supported by the test provider")
}

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

// signingKey is an RSA key that signs ID tokens.
type signingKey struct{ key *rsa.PrivateKey }

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return keyID }

// publicKey is the public half of a signing key, as the JWKS publishes it.
type publicKey struct{ key *rsa.PublicKey }

func (k publicKey) ID() string                         { return keyID }
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return k.key }

// SigningKey returns the published key, or under the Forged fault
// another key that claims its ID.
func (s *storage) SigningKey(context.Context) (op.SigningKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fault == Forged {
		return signingKey{s.forgery}, nil
	}
	return signingKey{s.key}, nil
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{&s.key.PublicKey}}, nil
}

// otherClient is the client the provider mistakes its client for under
// the WrongAudience fault.
const otherClient = "another-client"

// GetClientByClientID returns the client. Under the Expired fault its ID
// tokens expired an hour before they are issued; under WrongAudience the
// provider takes it for another client, and issues ID tokens to that one.
func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id != s.client.id {
		return nil, fmt.Errorf("client %q not found", id)
	}
	c := s.client
	c.redirects = slices.Clone(c.redirects)
	switch s.fault {
	case Expired:
		c.lifetime = -time.Hour
	case WrongAudience:
		c.id = otherClient
	}
	return c, nil
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id != s.client.id || subtle.ConstantTimeCompare([]byte(secret), []byte(s.client.secret)) != 1 {
		return errors.New("wrong client ID or secret")
	}
	return nil
}

// SetUserinfoFromScopes does nothing: op calls SetUserinfoFromRequest
// after it, which fills in the claims.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

func (s *storage) SetUserinfoFromRequest(_ context.Context, ui *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fillUserinfo(ui, req.GetSubject(), scopes)
}

func (s *storage) SetUserinfoFromToken(_ context.Context, ui *oidc.UserInfo, tokenID, subject, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tokenID]
	if !ok || t.subject != subject || time.Now().After(t.expires) {
		return errors.New("access token is not valid")
	}
	return s.fillUserinfo(ui, subject, t.scopes)
}

// fillUserinfo sets the claims of user subject that scopes ask for.
func (s *storage) fillUserinfo(ui *oidc.UserInfo, subject string, scopes []string) error {
	u, ok := s.users[subject]
	if !ok {
		return fmt.Errorf("user %q not found", subject)
	}
	ui.Subject = u.Subject
	if slices.Contains(scopes, oidc.ScopeEmail) {
		ui.Email, ui.EmailVerified = u.Email, oidc.Bool(u.EmailVerified)
	}
	if slices.Contains(scopes, oidc.ScopeProfile) {
		ui.Name = u.Name
	}
	return nil
}

func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return fmt.Errorf("introspection: %w", errUnsupported)
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, fmt.Errorf("JWT profile grants: %w", errUnsupported)
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, fmt.Errorf("JWT profile grants: %w", errUnsupported)
}

func (s *storage) Health(context.Context) error { return nil }
