package server

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/tuskdata/tusk/internal/auth"
	"github.com/tuskdata/tusk/internal/oidc"
	"github.com/tuskdata/tusk/internal/tusk"
)

// OIDCConfig turns on logins through an OpenID Provider.
type OIDCConfig struct {
	oidc.Config
	// Admins are the users (by Tusk user name: a verified email) made
	// cluster admins when they log in.
	Admins []string
	// TokenTTL is how long the token of a login is valid.
	TokenTTL time.Duration
}

// DefaultOIDCTokenTTL is how long the token of an OIDC login is valid
// unless configured.
const DefaultOIDCTokenTTL = 30 * 24 * time.Hour

// oidcPoll is how long a CLI's request for the result of its login is
// held before the server answers that it is pending.
const oidcPoll = 25 * time.Second

// oidcLogins are the server's logins through its provider.
type oidcLogins struct {
	rp     *oidc.RelyingParty
	admins map[string]bool
	ttl    time.Duration
}

// openOIDC discovers the provider, if the server has one, and takes
// clusterAdmin back from the users that --oidc-admin made admins and no
// longer names.
func (s *Server) openOIDC(ctx context.Context) error {
	c := s.cfg.OIDC
	admins := map[string]bool{}
	var subjects []string
	for _, a := range c.Admins {
		name := strings.ToLower(strings.TrimPrefix(a, auth.UserPrefix))
		admins[name] = true
		subjects = append(subjects, auth.UserPrefix+name)
	}
	revoked, err := s.auth.RevokeUnconfiguredAdmins(ctx, subjects)
	if err != nil {
		return err
	}
	for _, subject := range revoked {
		s.log.Warn("no longer a cluster admin: --oidc-admin stopped naming this user", "subject", subject)
	}
	if c.Issuer == "" {
		return nil
	}
	rp, err := oidc.New(ctx, c.Config, s.db)
	if err != nil {
		return err
	}
	l := &oidcLogins{rp: rp, admins: admins, ttl: c.TokenTTL}
	if l.ttl <= 0 {
		l.ttl = DefaultOIDCTokenTTL
	}
	s.oidc = l
	s.log.Info("OIDC login on", "issuer", c.Issuer, "redirect_url", c.RedirectURL)
	return nil
}

func noOIDC() error {
	return tusk.Errorf(tusk.KindNotFound, "this server has no OIDC provider").
		WithHint("log in with a token instead: tusk auth login --token TOKEN, with a token from an admin (tusk auth get-robot-token NAME); or start the server with --oidc-issuer")
}

// beginOIDCLogin begins a CLI's login: the CLI shows the URL to the user
// and waits with the key.
func (s *Server) beginOIDCLogin(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		writeError(w, r, noOIDC())
		return
	}
	authURL, key, _, err := s.oidc.rp.Begin(r.Context(), "")
	reply(w, r, map[string]string{"url": authURL, "key": key, "issuer": s.oidc.rp.Issuer()}, err)
}

// waitOIDCLogin answers a CLI's request for the result of its login,
// or that it is pending once oidcPoll has passed.
func (s *Server) waitOIDCLogin(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		writeError(w, r, noOIDC())
		return
	}
	var req struct {
		Key string `json:"key"`
	}
	if err := readJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), oidcPoll)
	defer cancel()
	res, err := s.oidc.rp.Wait(ctx, req.Key)
	if errors.Is(err, context.DeadlineExceeded) && r.Context().Err() == nil {
		writeJSON(w, map[string]bool{"pending": true})
		return
	}
	reply(w, r, res, err)
}

// stateCookie carries the state of a browser's login from its start to
// the callback, so that only the browser that began a login can complete
// it. It must reach the callback on the provider's redirect, a
// cross-site navigation: SameSite Lax, not Strict.
const stateCookie = "tusk_oidc_state"

// beginBrowserLogin begins a login for the console (its "Log in with"
// link) and sends the browser to the provider.
func (s *Server) beginBrowserLogin(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		loginPage(w, http.StatusNotFound, loginResult{Err: noOIDC()})
		return
	}
	authURL, _, state, err := s.oidc.rp.Begin(r.Context(), "/")
	if err != nil {
		loginPage(w, http.StatusServiceUnavailable, loginResult{Err: err})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: state, Path: "/auth/callback", MaxAge: int(oidc.AttemptTTL / time.Second),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, authURL, http.StatusSeeOther)
}

// oidcCallback is where the provider sends the user's browser back: it
// completes the login as a Tusk user, then hands a token of that user to
// the CLI that waits for it, or opens a console session in the browser.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		loginPage(w, http.StatusNotFound, loginResult{Err: noOIDC()})
		return
	}
	var browserState string
	if c, err := r.Cookie(stateCookie); err == nil {
		browserState = c.Value
		http.SetCookie(w, &http.Cookie{Name: stateCookie, Path: "/auth/callback", MaxAge: -1})
	}
	login, err := s.oidc.rp.Callback(r.Context(), r.URL.Query(), browserState)
	if err != nil {
		s.log.Warn("OIDC login refused", "err", err)
		loginPage(w, http.StatusUnauthorized, loginResult{Err: err})
		return
	}
	subject, err := s.oidcUser(r.Context(), login.Identity)
	if login.Next != "" {
		if err != nil {
			loginPage(w, http.StatusForbidden, loginResult{Err: err})
			return
		}
		// A page of this site, not a redirect, leads to the console, so
		// that the session cookie (SameSite Strict) is set and sent on a
		// navigation from this site and not one the provider began.
		loginPage(w, http.StatusOK, loginResult{Subject: subject, Console: "/login?code=" + s.codes.New(subject)})
		return
	}
	var tok string
	if err == nil {
		tok, err = s.auth.Issue(r.Context(), subject, s.oidc.ttl)
	}
	if ferr := login.Finish(r.Context(), oidc.Result{Subject: subject, Token: tok}, err); ferr != nil {
		s.log.Warn("OIDC login not handed to the waiting CLI", "subject", subject, "err", ferr)
		err = errors.Join(err, ferr)
	}
	if err != nil {
		loginPage(w, http.StatusForbidden, loginResult{Err: err})
		return
	}
	loginPage(w, http.StatusOK, loginResult{Subject: subject})
}

// oidcUser returns the Tusk user of an identity the provider vouched
// for, made clusterAdmin if it is one of the configured admins and
// otherwise holding the roles it was granted (none at first).
func (s *Server) oidcUser(ctx context.Context, id oidc.Identity) (string, error) {
	name := id.UserName(s.oidc.rp.Issuer())
	subject, err := auth.ParseSubject(auth.UserPrefix + name)
	if err != nil {
		s.log.Warn("OIDC login refused", "provider_subject", id.Subject, "err", err)
		return "", err
	}
	admin := s.oidc.admins[name]
	if admin {
		if err := s.auth.GrantConfiguredAdmin(ctx, subject); err != nil {
			return "", err
		}
	}
	s.log.Info("OIDC login", "subject", subject, "provider_subject", id.Subject, "admin", admin)
	return subject, nil
}

// loginResult is what the page at the end of a login says.
type loginResult struct {
	Subject string
	Console string // the link that opens a console session
	Err     error
}

var loginTemplate = template.Must(template.New("login").Parse(`<!doctype html>
<meta charset="utf-8">
{{if .Console}}<meta http-equiv="refresh" content="0; url={{.Console}}">{{end}}
<title>Tusk login</title>
{{if .Err}}<h1>Login refused</h1>
<p>{{.Err}}</p>
{{else if .Console}}<h1>Logged in as {{.Subject}}</h1>
<p><a href="{{.Console}}">Continue to the console</a>.</p>
{{else}}<h1>Logged in as {{.Subject}}</h1>
<p>You may close this window and go back to the terminal.</p>
{{end}}`))

// loginPage answers a browser at the end of a login.
func loginPage(w http.ResponseWriter, status int, res loginResult) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	loginTemplate.Execute(w, res)
}
