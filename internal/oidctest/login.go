package oidctest

import (
	"context"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// loginPath is the provider's login page, where op sends the user with
// the ID of the authorization request.
const loginPath = "/login"

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<title>Log in</title>
{{if .Error}}<p>{{.Error}}</p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="id" value="{{.ID}}">
<label>User <input name="username"></label>
<label>Password <input name="password" type="password"></label>
<button>Log in</button>
</form>
`))

// newRouter serves the login page and, for the rest, the provider.
func newRouter(provider *op.Provider, st *storage) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+loginPath, func(w http.ResponseWriter, r *http.Request) {
		loginPage.Execute(w, map[string]string{"ID": r.FormValue("id")})
	})
	callback := op.AuthCallbackURL(provider)
	mux.Handle("POST "+loginPath, op.NewIssuerInterceptor(provider.IssuerFromRequest).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.FormValue("id")
		if err := st.logIn(id, r.FormValue("username"), r.FormValue("password")); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			loginPage.Execute(w, map[string]string{"ID": id, "Error": err.Error()})
			return
		}
		http.Redirect(w, r, callback(r.Context(), id), http.StatusFound)
	}))
	mux.Handle("/", provider)
	return mux
}

// LogIn does what a user's browser does with a login URL from a relying
// party: it follows authURL to the provider's login page, logs in as
// username with password, and follows the redirects back to the relying
// party's callback. It returns the callback's response, with its body
// read into body; resp.Request.URL is the callback URL with its code and
// state. browser is the browser (its cookies); nil is a fresh one.
func (p *Provider) LogIn(ctx context.Context, browser *http.Client, authURL, username, password string) (resp *http.Response, body string, err error) {
	if browser == nil {
		jar, err := cookiejar.New(nil)
		if err != nil {
			return nil, "", err
		}
		browser = &http.Client{Jar: jar}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return nil, "", fmt.Errorf("login URL: %w", err)
	}
	page, _, err := fetch(browser, req)
	if err != nil {
		return nil, "", err
	}
	if page.Request.URL.Path != loginPath {
		return nil, "", fmt.Errorf("login URL %s led to %s, not to the login page", authURL, page.Request.URL)
	}
	form := url.Values{"id": {page.Request.URL.Query().Get("id")}, "username": {username}, "password": {password}}
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, p.Issuer+loginPath, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return fetch(browser, req)
}

// fetch sends req, following redirects, and reads the final response.
func fetch(c *http.Client, req *http.Request) (*http.Response, string, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %w", resp.Request.URL, err)
	}
	if resp.Request.URL.Path == loginPath && resp.StatusCode != http.StatusOK {
		return resp, string(b), fmt.Errorf("the provider refused the login: %s", b)
	}
	return resp, string(b), nil
}
