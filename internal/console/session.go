package console

import (
	"errors"
	"net/http"
	"time"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
)

// sessionCookie holds the API token of a console session.
const sessionCookie = "tusk_session"

// as returns a client of the API that acts as the user of r's session
// (with no token if there is none).
func (c *console) as(r *http.Request) *client.Client {
	if ck, err := r.Cookie(sessionCookie); err == nil && ck.Value != "" {
		return c.api.As(ck.Value)
	}
	return c.api
}

// loggedIn serves next to requests with a session, and to every request
// while authentication is off; others get the login page.
func (c *console) loggedIn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ck, err := r.Cookie(sessionCookie); err == nil && ck.Value != "" {
			next.ServeHTTP(w, r)
			return
		}
		who, err := c.api.WhoAmI(r.Context())
		if err == nil && !who.Active {
			next.ServeHTTP(w, r)
			return
		}
		c.loginPage(w, r, nil)
	})
}

// login turns the one-time code of a login link into a session: a cookie
// that scripts cannot read, sent only to this site, and only over TLS
// when the console is served over TLS.
func (c *console) login(w http.ResponseWriter, r *http.Request) {
	tok, err := c.api.Session(r.Context(), r.URL.Query().Get("code"))
	if err != nil {
		c.loginPage(w, r, err)
		return
	}
	expires, _ := time.Parse(time.RFC3339, tok.Expires)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok.Token, Path: "/", Expires: expires,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	c.log.Info("console session opened", "subject", tok.Subject)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// loginPage says how to log in, with why the last try failed if it did.
func (c *console) loginPage(w http.ResponseWriter, r *http.Request, why error) {
	data := struct {
		Error       string
		SessionDays int
		OIDCIssuer  string // the provider of the "Log in with" link
	}{SessionDays: int(tusk.SessionTTL / (24 * time.Hour))}
	if info, err := c.api.Info(r.Context()); err == nil {
		data.OIDCIssuer = info.OIDCIssuer
	}
	if why != nil {
		var te *tusk.Error
		if errors.As(why, &te) {
			data.Error = te.Message
		} else {
			data.Error = why.Error()
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusUnauthorized)
	c.render(w, r, "login", page{Title: "Log in", Data: data})
}
