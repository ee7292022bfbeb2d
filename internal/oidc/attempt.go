package oidc

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"net/url"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/tuskdata/tusk/internal/tusk"
)

// An attempt is a login in progress, from Begin until its result is
// taken by Wait (or, for a browser, until its callback).
type attempt struct {
	state    string // sent through the provider; redeemed once
	nonce    string // bound into the ID token
	verifier string // PKCE
	key      string // the secret the CLI polls with; never leaves the server otherwise
	next     string
	expires  time.Time
	done     chan struct{}
	result   Result
	err      error
}

// Result is what a CLI waiting for a login receives.
type Result struct {
	Subject string `json:"subject"`
	Token   string `json:"token"`
}

// A Login is a login the provider vouched for. Its owner issues the
// user's credential and calls Finish.
type Login struct {
	Identity Identity
	// Next is what Begin was given: for a browser, where to go now; ""
	// for a CLI that waits for the result.
	Next string
	a    *attempt
}

// Finish hands the result of a login to the CLI waiting for it: r, or
// err if the server would not let the user in.
func (l *Login) Finish(r Result, err error) { l.a.finish(r, err) }

func (a *attempt) finish(r Result, err error) {
	a.result, a.err = r, err
	close(a.done)
}

// Begin starts a login and returns the provider's URL to send the user
// to, and the key a CLI waits for the result with. next is where a
// browser goes after the login, "" for a CLI. State returns the state a
// browser's cookie must carry to the callback.
func (rp *RelyingParty) Begin(next string) (authURL, key, state string, err error) {
	a := &attempt{
		state: rand.Text(), nonce: rand.Text(), verifier: oauth2.GenerateVerifier(), key: rand.Text(),
		next: next, expires: rp.now().Add(AttemptTTL), done: make(chan struct{}),
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	rp.dropExpired()
	if len(rp.byState)+len(rp.byKey) >= maxAttempts {
		return "", "", "", tusk.Errorf(tusk.KindUnavailable, "too many OIDC logins in progress").
			WithHint("try again in a few minutes")
	}
	rp.byState[a.state], rp.byKey[a.key] = a, a
	authURL = rp.oauth.AuthCodeURL(a.state, gooidc.Nonce(a.nonce), oauth2.S256ChallengeOption(a.verifier))
	return authURL, a.key, a.state, nil
}

// dropExpired forgets the attempts whose time is up, and tells their
// waiters. It runs under rp.mu.
func (rp *RelyingParty) dropExpired() {
	now := rp.now()
	for s, a := range rp.byState {
		if now.After(a.expires) {
			delete(rp.byState, s)
			a.finish(Result{}, expired())
		}
	}
	for k, a := range rp.byKey {
		if now.After(a.expires) {
			delete(rp.byKey, k)
		}
	}
}

func expired() error {
	return tusk.Errorf(tusk.KindUnauthenticated, "the OIDC login expired before it was completed").
		WithHint("start again with tusk auth login, and log in at the provider within 10 minutes")
}

// Callback completes a login from the provider's redirect to the
// server, whose query is q: it redeems the state (once), then the code,
// and verifies the ID token. A login begun for a browser needs
// browserState, the state that browser kept (in a cookie) from Begin,
// so that nobody can complete their own login in someone else's browser.
// A failure after the state is redeemed is handed to the waiting CLI
// too.
func (rp *RelyingParty) Callback(ctx context.Context, q url.Values, browserState string) (*Login, error) {
	rp.mu.Lock()
	a, ok := rp.byState[q.Get("state")]
	delete(rp.byState, q.Get("state"))
	rp.mu.Unlock()
	if !ok {
		return nil, tusk.Errorf(tusk.KindUnauthenticated, "OIDC login refused: no login is waiting for this state (it was used already, expired, or began at another server)").
			WithHint("start again with tusk auth login")
	}
	if rp.now().After(a.expires) {
		a.finish(Result{}, expired())
		return nil, expired()
	}
	var (
		id  Identity
		err error
	)
	if a.next != "" && subtle.ConstantTimeCompare([]byte(browserState), []byte(a.state)) != 1 {
		err = refused("this browser did not begin the login")
	} else if e := q.Get("error"); e != "" {
		err = refused("the provider answered %s: %s", e, q.Get("error_description"))
	} else {
		id, err = rp.exchange(ctx, a, q.Get("code"))
	}
	if err != nil {
		a.finish(Result{}, err)
		return nil, err
	}
	return &Login{Identity: id, Next: a.next, a: a}, nil
}

// Wait waits until the login of key has a result, or ctx ends (then it
// returns ctx's error and the login stays, to be waited for again). A
// result is taken once.
func (rp *RelyingParty) Wait(ctx context.Context, key string) (Result, error) {
	rp.mu.Lock()
	a, ok := rp.byKey[key]
	rp.mu.Unlock()
	if !ok {
		return Result{}, tusk.Errorf(tusk.KindNotFound, "no OIDC login is in progress with this key (it expired, or its result was taken)").
			WithHint("start again with tusk auth login")
	}
	select {
	case <-ctx.Done():
		return Result{}, ctx.Err()
	case <-a.done:
	}
	rp.mu.Lock()
	_, mine := rp.byKey[key]
	delete(rp.byKey, key)
	rp.mu.Unlock()
	if !mine {
		return Result{}, tusk.Errorf(tusk.KindNotFound, "the result of this OIDC login was taken already")
	}
	return a.result, a.err
}
