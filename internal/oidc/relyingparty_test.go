package oidc

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/oidctest"
	"github.com/tuskdata/tusk/internal/tusk"
)

var (
	alice = oidctest.User{Subject: "alice-sub", Password: "alice-pw", Email: "Alice@Example.com", EmailVerified: true, Name: "Alice"}
	bob   = oidctest.User{Subject: "bob-sub", Password: "bob-pw", Email: "bob@example.com"} // email not verified
)

// fixture is a provider, a relying party of it, and the callback server
// a Tusk server would be: it completes each login with a result naming
// the user, or with the error.
type fixture struct {
	op       *oidctest.Provider
	rp       *RelyingParty
	db       *meta.DB // where rp keeps its logins in progress
	dir      string   // db's directory
	callback string
	// results receives what each callback did.
	results chan error
	// before, if set, runs in the callback before the relying party.
	before func(q url.Values)
}

func newFixture(t *testing.T, opts oidctest.Options) *fixture {
	t.Helper()
	f := &fixture{results: make(chan error, 10)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.before != nil {
			f.before(r.URL.Query())
		}
		var state string
		if c, err := r.Cookie("state"); err == nil {
			state = c.Value
		}
		l, err := f.rp.Callback(r.Context(), r.URL.Query(), state)
		f.results <- err
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if err := l.Finish(r.Context(), Result{Subject: "user:" + l.Identity.UserName(f.rp.Issuer()), Token: "token-of-" + l.Identity.Subject}, nil); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Write([]byte("logged in as " + l.Identity.UserName(f.rp.Issuer())))
	}))
	t.Cleanup(srv.Close)
	f.callback = srv.URL + "/auth/callback"
	opts.ClientID, opts.ClientSecret = "tusk", "tusk-secret"
	opts.RedirectURIs = []string{f.callback}
	if opts.Users == nil {
		opts.Users = []oidctest.User{alice, bob}
	}
	f.op = oidctest.New(t, opts)
	f.dir = t.TempDir()
	db, err := meta.Open(context.Background(), filepath.Join(f.dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f.db = db
	f.rp = f.relyingParty(t)
	return f
}

// relyingParty returns a relying party of the fixture's provider, as
// another server sharing its store would have.
func (f *fixture) relyingParty(t *testing.T) *RelyingParty {
	t.Helper()
	rp, err := New(context.Background(), Config{Issuer: f.op.Issuer, ClientID: "tusk", ClientSecret: "tusk-secret", RedirectURL: f.callback}, f.db)
	if err != nil {
		t.Fatal(err)
	}
	return rp
}

// login begins a CLI login and logs in at the provider as u; it returns
// the key to wait with and the callback's response.
func (f *fixture) login(t *testing.T, u oidctest.User) (key string, resp *http.Response, body string) {
	t.Helper()
	authURL, key, _, err := f.rp.Begin(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	resp, body, err = f.op.LogIn(context.Background(), nil, authURL, u.Subject, u.Password)
	if err != nil {
		t.Fatal(err)
	}
	return key, resp, body
}

func wait(t *testing.T, rp *RelyingParty, key string) (Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return rp.Wait(ctx, key)
}

func TestLogin(t *testing.T) {
	f := newFixture(t, oidctest.Options{})
	key, resp, body := f.login(t, alice)
	if resp.StatusCode != http.StatusOK || body != "logged in as alice@example.com" {
		t.Fatalf("callback answered %d %q", resp.StatusCode, body)
	}
	r, err := wait(t, f.rp, key)
	if err != nil {
		t.Fatal(err)
	}
	if r != (Result{Subject: "user:alice@example.com", Token: "token-of-alice-sub"}) {
		t.Errorf("result %+v", r)
	}
	if _, err := wait(t, f.rp, key); !errors.Is(err, tusk.ErrNotFound) {
		t.Errorf("a second wait for a taken result: %v, want not found", err)
	}
}

func TestUnverifiedEmailIsNotTheUserName(t *testing.T) {
	f := newFixture(t, oidctest.Options{})
	_, resp, body := f.login(t, bob)
	host := strings.TrimPrefix(f.op.Issuer, "http://")
	if resp.StatusCode != http.StatusOK || body != "logged in as bob-sub@"+host {
		t.Fatalf("callback answered %d %q, want a login as bob-sub@%s", resp.StatusCode, body, host)
	}
}

func TestClaimsFromUserinfo(t *testing.T) {
	f := newFixture(t, oidctest.Options{ClaimsOnlyInUserinfo: true})
	_, resp, body := f.login(t, alice)
	if resp.StatusCode != http.StatusOK || body != "logged in as alice@example.com" {
		t.Fatalf("callback answered %d %q", resp.StatusCode, body)
	}
}

func TestRefusedIDTokens(t *testing.T) {
	for _, tc := range []struct {
		fault oidctest.Fault
		want  string
	}{
		{oidctest.Expired, "expired"},
		{oidctest.WrongAudience, "audience"},
		{oidctest.WrongNonce, "nonce"},
		{oidctest.Forged, "signature"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			f := newFixture(t, oidctest.Options{})
			f.op.SetFault(tc.fault)
			key, resp, body := f.login(t, alice)
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, tc.want) {
				t.Errorf("callback answered %d %q, want 401 about %s", resp.StatusCode, body, tc.want)
			}
			r, err := wait(t, f.rp, key)
			if !errors.Is(err, tusk.ErrUnauthenticated) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("the waiting CLI got %+v, %v; want an unauthenticated error about %s", r, err, tc.want)
			}
		})
	}
}

func TestReplayedCallback(t *testing.T) {
	f := newFixture(t, oidctest.Options{})
	key, resp, _ := f.login(t, alice)
	if err := <-f.results; err != nil {
		t.Fatal(err)
	}
	if _, err := wait(t, f.rp, key); err != nil {
		t.Fatal(err)
	}
	again, err := http.Get(resp.Request.URL.String())
	if err != nil {
		t.Fatal(err)
	}
	again.Body.Close()
	if again.StatusCode != http.StatusUnauthorized {
		t.Errorf("replayed callback answered %d, want 401", again.StatusCode)
	}
	if err := <-f.results; !errors.Is(err, tusk.ErrUnauthenticated) || !strings.Contains(err.Error(), "no login is waiting for this state") {
		t.Errorf("replayed callback: %v", err)
	}
}

// TestCodeIsBoundToVerifier redeems the code the provider sends back
// with the client's secret but without the login's PKCE verifier, or
// with another, as one who stole it from the redirect would: the
// provider refuses, and the login itself still completes.
func TestCodeIsBoundToVerifier(t *testing.T) {
	f := newFixture(t, oidctest.Options{})
	var none, other error
	f.before = func(q url.Values) {
		ctx := f.rp.providerContext(context.Background())
		_, none = f.rp.oauth.Exchange(ctx, q.Get("code"))
		_, other = f.rp.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier()))
	}
	key, resp, _ := f.login(t, alice)
	if none == nil || !strings.Contains(none.Error(), "code_verifier required") {
		t.Errorf("redeeming the code without a verifier: %v", none)
	}
	if other == nil || !strings.Contains(other.Error(), "invalid_grant") {
		t.Errorf("redeeming the code with another verifier: %v, want invalid_grant", other)
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("callback answered %d", resp.StatusCode)
	}
	if _, err := wait(t, f.rp, key); err != nil {
		t.Error(err)
	}
}

func TestBrowserLoginNeedsItsState(t *testing.T) {
	f := newFixture(t, oidctest.Options{})
	authURL, _, _, err := f.rp.Begin(context.Background(), "/repos")
	if err != nil {
		t.Fatal(err)
	}
	// Another browser, without the state cookie, lands on the callback.
	resp, body, err := f.op.LogIn(context.Background(), nil, authURL, alice.Subject, alice.Password)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "this browser did not begin the login") {
		t.Errorf("callback without the state cookie answered %d %q", resp.StatusCode, body)
	}
	// The one that began it, with its cookie, gets in.
	authURL, _, state, err := f.rp.Begin(context.Background(), "/repos")
	if err != nil {
		t.Fatal(err)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := url.Parse(f.callback)
	if err != nil {
		t.Fatal(err)
	}
	jar.SetCookies(cb, []*http.Cookie{{Name: "state", Value: state}})
	resp, body, err = f.op.LogIn(context.Background(), &http.Client{Jar: jar}, authURL, alice.Subject, alice.Password)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || body != "logged in as alice@example.com" {
		t.Errorf("callback with the state cookie answered %d %q", resp.StatusCode, body)
	}
}

func TestWrongPassword(t *testing.T) {
	f := newFixture(t, oidctest.Options{})
	authURL, _, _, err := f.rp.Begin(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.op.LogIn(context.Background(), nil, authURL, alice.Subject, "guess"); err == nil || !strings.Contains(err.Error(), "wrong user name or password") {
		t.Errorf("login with a wrong password: %v", err)
	}
}

func TestExpiredAttempt(t *testing.T) {
	f := newFixture(t, oidctest.Options{})
	authURL, key, _, err := f.rp.Begin(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	f.rp.now = func() time.Time { return time.Now().Add(AttemptTTL + time.Minute) }
	resp, body, err := f.op.LogIn(context.Background(), nil, authURL, alice.Subject, alice.Password)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "expired") {
		t.Errorf("late callback answered %d %q", resp.StatusCode, body)
	}
	if _, err := wait(t, f.rp, key); !errors.Is(err, tusk.ErrUnauthenticated) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("the waiting CLI got %v, want an expired login", err)
	}
}

func TestWaitEndsWithItsContext(t *testing.T) {
	f := newFixture(t, oidctest.Options{})
	authURL, key, _, err := f.rp.Begin(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.rp.Wait(ctx, key); !errors.Is(err, context.Canceled) {
		t.Fatalf("wait with an ended context: %v", err)
	}
	if _, _, err := f.op.LogIn(context.Background(), nil, authURL, alice.Subject, alice.Password); err != nil {
		t.Fatal(err)
	}
	if r, err := wait(t, f.rp, key); err != nil || r.Subject != "user:alice@example.com" {
		t.Errorf("second wait: %+v, %v", r, err)
	}
}

func TestDiscoveryFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	ln.Close()
	_, err = New(context.Background(), Config{Issuer: issuer, ClientID: "tusk", ClientSecret: "s", RedirectURL: "http://127.0.0.1:1650/auth/callback"}, nil)
	if !errors.Is(err, tusk.ErrUnavailable) || !strings.Contains(err.Error(), issuer+"/.well-known/openid-configuration") {
		t.Errorf("an issuer that does not answer: %v", err)
	}
	op := oidctest.New(t, oidctest.Options{ClientID: "tusk"})
	_, err = New(context.Background(), Config{Issuer: strings.Replace(op.Issuer, "127.0.0.1", "localhost", 1), ClientID: "tusk", ClientSecret: "s", RedirectURL: "http://127.0.0.1:1650/auth/callback"}, nil)
	if !errors.Is(err, tusk.ErrUnavailable) || !strings.Contains(err.Error(), "did not match") {
		t.Errorf("an issuer that calls itself by another name: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	good := Config{Issuer: "http://127.0.0.1:1", ClientID: "tusk", ClientSecret: "s", RedirectURL: "http://127.0.0.1:1650/auth/callback"}
	for _, tc := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.ClientSecret = "" }, "--oidc-client-secret-file"},
		{func(c *Config) { c.ClientID = "" }, "--oidc-client-id"},
		{func(c *Config) { c.Issuer = "accounts.example.com" }, "--oidc-issuer"},
		{func(c *Config) { c.RedirectURL = "/auth/callback" }, "--oidc-redirect-url"},
	} {
		c := good
		tc.edit(&c)
		if _, err := New(context.Background(), c, nil); !errors.Is(err, tusk.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("config %+v: %v, want an invalid error naming %s", c, err, tc.want)
		}
	}
}

// TestLoginAcrossServers begins a login at one relying party, has the
// provider's redirect reach another, and waits at a third, as servers
// sharing a store behind a load balancer would.
func TestLoginAcrossServers(t *testing.T) {
	f := newFixture(t, oidctest.Options{})
	begin, waiter := f.relyingParty(t), f.relyingParty(t)
	authURL, key, _, err := begin.Begin(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	resp, body, err := f.op.LogIn(context.Background(), nil, authURL, alice.Subject, alice.Password)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("callback answered %d %q", resp.StatusCode, body)
	}
	r, err := wait(t, waiter, key)
	if err != nil || r.Token != "token-of-alice-sub" {
		t.Fatalf("the result at another server: %+v, %v", r, err)
	}
	if _, err := wait(t, begin, key); !errors.Is(err, tusk.ErrNotFound) {
		t.Errorf("a second wait, at the server that began the login: %v, want not found", err)
	}
}

// TestStoreHoldsNoSecret reads the stored login, once the provider sent
// the user back and before the CLI took its token, as someone who can
// read the database would: it holds neither the CLI's key, the state,
// the nonce nor the token, in clear or in base64.
func TestStoreHoldsNoSecret(t *testing.T) {
	f := newFixture(t, oidctest.Options{})
	authURL, key, state, err := f.rp.Begin(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	nonce := u.Query().Get("nonce")
	if _, _, err := f.op.LogIn(context.Background(), nil, authURL, alice.Subject, alice.Password); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(f.dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var cols [6]string
	if err := db.QueryRow(`SELECT key_hash, state_hash, secrets, expires, redeemed, outcome FROM oidc_attempts`).
		Scan(&cols[0], &cols[1], &cols[2], &cols[3], &cols[4], &cols[5]); err != nil {
		t.Fatal(err)
	}
	if cols[5] == "" {
		t.Fatal("the login has no outcome stored")
	}
	r, err := wait(t, f.rp, key)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{key, state, nonce, r.Token} {
		if secret == "" {
			t.Fatal("a secret to look for is empty")
		}
		for i, c := range cols {
			raw, _ := base64.StdEncoding.DecodeString(c)
			if strings.Contains(c, secret) || bytes.Contains(raw, []byte(secret)) {
				t.Errorf("column %d of the stored login holds %q", i, secret)
			}
		}
	}
}

// TestTooManyAttempts bounds the logins in progress; expired ones make
// room.
func TestTooManyAttempts(t *testing.T) {
	f := newFixture(t, oidctest.Options{})
	f.rp.maxAttempts = 2
	for range 2 {
		if _, _, _, err := f.rp.Begin(context.Background(), ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, _, err := f.rp.Begin(context.Background(), ""); !errors.Is(err, tusk.ErrUnavailable) {
		t.Fatalf("a login past the bound: %v, want unavailable", err)
	}
	f.rp.now = func() time.Time { return time.Now().Add(AttemptTTL + time.Minute) }
	if _, _, _, err := f.rp.Begin(context.Background(), ""); err != nil {
		t.Errorf("a login once the others expired: %v", err)
	}
}
