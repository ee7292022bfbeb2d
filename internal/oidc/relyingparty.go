package oidc

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/tuskdata/tusk/internal/tusk"
)

// Config says which provider to trust and who the server is to it.
type Config struct {
	Issuer       string // the provider's issuer URL
	ClientID     string
	ClientSecret string
	// RedirectURL is the server's callback as registered at the provider.
	RedirectURL string
}

// Timeouts of a login.
const (
	// AttemptTTL is how long a user has to log in at the provider.
	AttemptTTL = 10 * time.Minute
	// maxAttempts bounds the logins in progress: beginning one needs no
	// credential.
	maxAttempts = 10000
	// providerTimeout bounds each request to the provider.
	providerTimeout = 15 * time.Second
)

// RelyingParty logs users in at one provider.
type RelyingParty struct {
	cfg      Config
	oauth    oauth2.Config
	provider *gooidc.Provider
	verifier *gooidc.IDTokenVerifier
	client   *http.Client
	now      func() time.Time

	attempts    Attempts
	maxAttempts int
}

// New discovers the provider at cfg.Issuer and returns a relying party
// of it that keeps its logins in progress in attempts. An issuer that
// does not answer is an error of kind unavailable.
func New(ctx context.Context, cfg Config, attempts Attempts) (*RelyingParty, error) {
	if err := checkConfig(cfg); err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: providerTimeout}
	p, err := gooidc.NewProvider(gooidc.ClientContext(ctx, client), cfg.Issuer)
	if err != nil {
		return nil, tusk.Errorf(tusk.KindUnavailable, "OIDC issuer %s: discovery failed: %v", cfg.Issuer, err).
			WithHint("check --oidc-issuer: %s/.well-known/openid-configuration must answer from this machine, with that issuer", strings.TrimSuffix(cfg.Issuer, "/"))
	}
	return &RelyingParty{
		cfg: cfg,
		oauth: oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
			Endpoint: p.Endpoint(), Scopes: []string{gooidc.ScopeOpenID, "email", "profile"},
		},
		provider:    p,
		verifier:    p.Verifier(&gooidc.Config{ClientID: cfg.ClientID}),
		client:      client,
		now:         time.Now,
		attempts:    attempts,
		maxAttempts: maxAttempts,
	}, nil
}

func checkConfig(cfg Config) error {
	for _, f := range []struct{ flag, v string }{
		{"--oidc-issuer", cfg.Issuer}, {"--oidc-client-id", cfg.ClientID},
		{"--oidc-client-secret-file", cfg.ClientSecret}, {"--oidc-redirect-url", cfg.RedirectURL},
	} {
		if f.v == "" {
			return tusk.Errorf(tusk.KindInvalid, "OIDC login needs %s", f.flag).
				WithHint("give --oidc-issuer, --oidc-client-id and the client secret (--oidc-client-secret-file or $TUSK_OIDC_CLIENT_SECRET) together")
		}
	}
	for _, u := range []struct{ flag, v string }{{"--oidc-issuer", cfg.Issuer}, {"--oidc-redirect-url", cfg.RedirectURL}} {
		p, err := url.Parse(u.v)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return tusk.Errorf(tusk.KindInvalid, "%s %q is not an http or https URL", u.flag, u.v)
		}
	}
	return nil
}

// Issuer returns the provider's issuer URL.
func (rp *RelyingParty) Issuer() string { return rp.cfg.Issuer }

// providerContext carries the HTTP client for requests to the provider.
func (rp *RelyingParty) providerContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, rp.client)
}

// exchange redeems code with the PKCE verifier and verifies the ID token
// that comes with the access token.
func (rp *RelyingParty) exchange(ctx context.Context, s secrets, code string) (Identity, error) {
	ctx = rp.providerContext(ctx)
	tok, err := rp.oauth.Exchange(ctx, code, oauth2.VerifierOption(s.Verifier))
	if err != nil {
		return Identity{}, refused("the provider would not redeem the code: %v", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return Identity{}, refused("the provider sent no ID token")
	}
	idt, err := rp.verifier.Verify(ctx, raw)
	if err != nil {
		return Identity{}, refused("the ID token is not valid: %v", err)
	}
	if idt.Nonce != s.Nonce {
		return Identity{}, refused("the ID token's nonce is not this login's")
	}
	var c claims
	if err := idt.Claims(&c); err != nil {
		return Identity{}, refused("the ID token's claims: %v", err)
	}
	if c.Email == "" && rp.provider.UserInfoEndpoint() != "" {
		if c, err = rp.userinfo(ctx, tok, idt.Subject); err != nil {
			return Identity{}, err
		}
	}
	return Identity{Subject: idt.Subject, Email: c.Email, EmailVerified: bool(c.EmailVerified), Name: c.Name}, nil
}

// userinfo asks the provider for the claims an ID token left out, for
// the user of subject.
func (rp *RelyingParty) userinfo(ctx context.Context, tok *oauth2.Token, subject string) (claims, error) {
	ui, err := rp.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return claims{}, refused("the provider's userinfo: %v", err)
	}
	if ui.Subject != subject {
		return claims{}, refused("the provider's userinfo is about %q, not the ID token's %q", ui.Subject, subject)
	}
	var c claims
	if err := ui.Claims(&c); err != nil {
		return claims{}, refused("the provider's userinfo claims: %v", err)
	}
	return c, nil
}

// claims are the standard claims a login reads, from the ID token or
// userinfo.
type claims struct {
	Email         string    `json:"email"`
	EmailVerified flexibool `json:"email_verified"`
	Name          string    `json:"name"`
}

// flexibool is a boolean claim that some providers send as a string.
type flexibool bool

func (b *flexibool) UnmarshalJSON(p []byte) error {
	switch strings.Trim(string(p), `"`) {
	case "true":
		*b = true
	case "false", "null", "":
		*b = false
	default:
		return fmt.Errorf("email_verified: want a boolean, got %s", p)
	}
	return nil
}

// refused is the error of a login that the server does not accept.
func refused(format string, args ...any) error {
	return tusk.Errorf(tusk.KindUnauthenticated, "OIDC login refused: "+format, args...).
		WithHint("start again with tusk auth login; if it keeps failing, check the server's --oidc-* flags against the provider")
}
