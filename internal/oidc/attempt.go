package oidc

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/url"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// An attempt is a login in progress, from Begin until its outcome is
// taken by Wait (or, for a browser, until it expires). The store knows
// it by the hashes of its state and of the CLI's key; the rest is
// sealed (see seal.go).

// secrets are what the callback needs of an attempt, sealed to its state.
type secrets struct {
	Nonce    string `json:"nonce"`    // bound into the ID token
	Verifier string `json:"verifier"` // PKCE
	Next     string `json:"next"`
	Waiter   []byte `json:"waiter"` // the public key the outcome is sealed to
}

// outcome is how a login ended, sealed for the CLI waiting for it.
type outcome struct {
	Result Result      `json:"result"`
	Err    *tusk.Error `json:"error,omitempty"`
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

	rp      *RelyingParty
	keyHash string
	waiter  []byte
}

// Finish hands the result of a login to the CLI waiting for it, at
// whichever server it waits: r, or failure if the server would not let
// the user in. It fails if the result cannot be stored.
func (l *Login) Finish(ctx context.Context, r Result, failure error) error {
	o := outcome{Result: r}
	if failure != nil {
		o = outcome{Err: asTuskError(failure)}
	}
	sealed, err := sealJSON(l.waiter, forWaiter, o)
	if err != nil {
		return fmt.Errorf("finish the OIDC login: %w", err)
	}
	ok, err := l.rp.attempts.FinishOIDCAttempt(ctx, l.keyHash, sealed)
	if err != nil {
		return fmt.Errorf("finish the OIDC login: %w", err)
	}
	if !ok {
		return expired()
	}
	return nil
}

// fail hands failure to the CLI waiting for l, if any, and returns it,
// joined with the error of handing it.
func (l *Login) fail(ctx context.Context, failure error) error {
	if l.Next != "" {
		return failure
	}
	if err := l.Finish(ctx, Result{}, failure); err != nil {
		return errors.Join(failure, err)
	}
	return failure
}

func asTuskError(err error) *tusk.Error {
	var te *tusk.Error
	if errors.As(err, &te) {
		return te
	}
	return &tusk.Error{Kind: tusk.KindInternal, Message: err.Error()}
}

// Begin starts a login and returns the provider's URL to send the user
// to, and the key a CLI waits for the result with. next is where a
// browser goes after the login, "" for a CLI. State returns the state a
// browser's cookie must carry to the callback.
func (rp *RelyingParty) Begin(ctx context.Context, next string) (authURL, key, state string, err error) {
	state, key = rand.Text(), rand.Text()
	s := secrets{Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier(), Next: next}
	if s.Waiter, err = publicKey(key); err != nil {
		return "", "", "", fmt.Errorf("begin an OIDC login: %w", err)
	}
	forState, err := publicKey(state)
	if err != nil {
		return "", "", "", fmt.Errorf("begin an OIDC login: %w", err)
	}
	sealed, err := sealJSON(forState, forCallback, s)
	if err != nil {
		return "", "", "", fmt.Errorf("begin an OIDC login: %w", err)
	}
	now := rp.now()
	a := meta.OIDCAttempt{KeyHash: hashOf(key), StateHash: hashOf(state), Secrets: sealed, Expires: now.Add(AttemptTTL)}
	added, err := rp.attempts.AddOIDCAttempt(ctx, a, now, rp.maxAttempts)
	if err != nil {
		return "", "", "", fmt.Errorf("begin an OIDC login: %w", err)
	}
	if !added {
		return "", "", "", tusk.Errorf(tusk.KindUnavailable, "too many OIDC logins in progress").
			WithHint("try again in a few minutes")
	}
	authURL = rp.oauth.AuthCodeURL(state, gooidc.Nonce(s.Nonce), oauth2.S256ChallengeOption(s.Verifier))
	return authURL, key, state, nil
}

func expired() error {
	return tusk.Errorf(tusk.KindUnauthenticated, "the OIDC login expired before it was completed").
		WithHint("start again with tusk auth login, and log in at the provider within 10 minutes")
}

// Callback completes a login from the provider's redirect to the
// server, whose query is q: it redeems the state (once, whichever server
// the redirect reaches), then the code, and verifies the ID token. A
// login begun for a browser needs browserState, the state that browser
// kept (in a cookie) from Begin, so that nobody can complete their own
// login in someone else's browser. A failure after the state is redeemed
// is handed to the waiting CLI too.
func (rp *RelyingParty) Callback(ctx context.Context, q url.Values, browserState string) (*Login, error) {
	state := q.Get("state")
	a, ok, err := rp.attempts.RedeemOIDCState(ctx, hashOf(state))
	if err != nil {
		return nil, fmt.Errorf("OIDC callback: %w", err)
	}
	if !ok {
		return nil, tusk.Errorf(tusk.KindUnauthenticated, "OIDC login refused: no login is waiting for this state (it was used already, or expired)").
			WithHint("start again with tusk auth login")
	}
	var s secrets
	if err := openJSON(state, forCallback, a.Secrets, &s); err != nil {
		return nil, fmt.Errorf("OIDC callback: %w", err)
	}
	l := &Login{Next: s.Next, rp: rp, keyHash: a.KeyHash, waiter: s.Waiter}
	if rp.now().After(a.Expires) {
		return nil, l.fail(ctx, expired())
	}
	if s.Next != "" && subtle.ConstantTimeCompare([]byte(browserState), []byte(state)) != 1 {
		err = refused("this browser did not begin the login")
	} else if e := q.Get("error"); e != "" {
		err = refused("the provider answered %s: %s", e, q.Get("error_description"))
	} else {
		l.Identity, err = rp.exchange(ctx, s, q.Get("code"))
	}
	if err != nil {
		return nil, l.fail(ctx, err)
	}
	return l, nil
}

// waitPoll is how often Wait looks for the outcome in the store, where
// the server that took the provider's redirect puts it.
const waitPoll = 250 * time.Millisecond

// Wait waits until the login of key has a result, or ctx ends (then it
// returns ctx's error and the login stays, to be waited for again). A
// result is taken once.
func (rp *RelyingParty) Wait(ctx context.Context, key string) (Result, error) {
	keyHash := hashOf(key)
	for {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		a, found, err := rp.attempts.TakeOIDCOutcome(ctx, keyHash)
		switch {
		case err != nil && ctx.Err() != nil:
			return Result{}, ctx.Err()
		case err != nil:
			return Result{}, fmt.Errorf("wait for the OIDC login: %w", err)
		case !found:
			return Result{}, tusk.Errorf(tusk.KindNotFound, "no OIDC login is in progress with this key (it expired, or its result was taken)").
				WithHint("start again with tusk auth login")
		case a.Outcome != nil:
			var o outcome
			if err := openJSON(key, forWaiter, a.Outcome, &o); err != nil {
				return Result{}, fmt.Errorf("wait for the OIDC login: %w", err)
			}
			if o.Err != nil {
				return Result{}, o.Err
			}
			return o.Result, nil
		case rp.now().After(a.Expires):
			return Result{}, expired()
		}
		select {
		case <-ctx.Done():
			return Result{}, ctx.Err()
		case <-time.After(waitPoll):
		}
	}
}
