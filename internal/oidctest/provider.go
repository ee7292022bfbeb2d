package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// A User can log in at the provider with its Subject as the user name.
type User struct {
	Subject       string
	Password      string
	Email         string
	EmailVerified bool
	Name          string
}

// Options configure a provider. ClientSecret is the confidential
// client's secret; RedirectURIs are the callbacks it may use, more may be
// added with AllowRedirect.
type Options struct {
	ClientID     string
	ClientSecret string
	RedirectURIs []string
	Users        []User
	// ClaimsOnlyInUserinfo leaves the email and profile out of ID tokens,
	// as some providers do, so that a relying party must ask the userinfo
	// endpoint for them.
	ClaimsOnlyInUserinfo bool
}

// A Fault makes the provider issue ID tokens that a relying party must
// refuse. They are made and signed by the provider as usual, through the
// real protocol.
type Fault int

// The faults a provider can have.
const (
	NoFault       Fault = iota
	Expired             // ID tokens expired an hour ago
	WrongAudience       // ID tokens are for another client
	WrongNonce          // ID tokens carry a nonce the client did not send
	Forged              // ID tokens are signed by a key the provider does not publish
)

// Provider is a running OpenID Provider.
type Provider struct {
	// Issuer is the provider's issuer URL (http://127.0.0.1:PORT).
	Issuer string
	store  *storage
}

// New starts a provider on a free loopback port; it stops when t ends.
func New(t testing.TB, opts Options) *Provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	forgery, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	st := newStorage(opts, key, forgery)
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	cfg := &op.Config{CodeMethodS256: true, AuthMethodPost: true}
	if _, err := rand.Read(cfg.CryptoKey[:]); err != nil {
		t.Fatal(err)
	}
	provider, err := op.NewProvider(cfg, st, op.StaticIssuer(srv.URL), op.WithAllowInsecure())
	if err != nil {
		t.Fatal(err)
	}
	handler = newRouter(provider, st)
	return &Provider{Issuer: srv.URL, store: st}
}

// AllowRedirect registers another callback URI of the client.
func (p *Provider) AllowRedirect(uri string) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	p.store.client.redirects = append(p.store.client.redirects, uri)
}

// SetFault makes the ID tokens issued from now on have fault f.
func (p *Provider) SetFault(f Fault) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	p.store.fault = f
}

// idTokenLifetime is how long the ID tokens of a well-behaved provider
// are valid.
const idTokenLifetime = 5 * time.Minute
