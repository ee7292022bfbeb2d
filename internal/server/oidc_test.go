package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/oidc"
	"github.com/tuskdata/tusk/internal/oidctest"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

var (
	alice = oidctest.User{Subject: "alice-sub", Password: "alice-pw", Email: "alice@example.com", EmailVerified: true}
	carol = oidctest.User{Subject: "carol-sub", Password: "carol-pw", Email: "Carol@Example.com", EmailVerified: true}
)

// oidcServer is a server whose users log in at a test OpenID Provider.
type oidcServer struct {
	op    *oidctest.Provider
	addr  string
	admin *client.Client // a cluster admin's client
	anon  *client.Client // a client without a token
}

// startOIDCServer runs a provider and a server in this process that
// trusts it, with admins as its --oidc-admin list.
func startOIDCServer(t *testing.T, admins ...string) *oidcServer {
	t.Helper()
	op := oidctest.New(t, oidctest.Options{ClientID: "tusk", ClientSecret: "tusk-secret", Users: []oidctest.User{alice, carol}})
	_, addr, token := startTestServer(t, Config{
		OIDC: OIDCConfig{Config: oidc.Config{Issuer: op.Issuer, ClientID: "tusk", ClientSecret: "tusk-secret"}, Admins: admins}})
	op.AllowRedirect("http://" + addr + "/auth/callback")
	o := &oidcServer{op: op, addr: addr}
	o.admin = o.client(t, token)
	o.anon = o.client(t, "")
	return o
}

func (o *oidcServer) client(t *testing.T, token string) *client.Client {
	t.Helper()
	c, err := client.New(o.addr, client.WithToken(token))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// login logs u in as `tusk auth login` does: it begins a login, logs in
// at the provider as the user's browser would, and waits for the token.
// It returns the result or the error the CLI gets, and the callback's
// response.
func (o *oidcServer) login(t *testing.T, u oidctest.User) (client.OIDCResult, *http.Response, string, error) {
	t.Helper()
	ctx := context.Background()
	l, err := o.anon.BeginOIDCLogin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if l.Issuer != o.op.Issuer {
		t.Errorf("login at %q, want %q", l.Issuer, o.op.Issuer)
	}
	resp, body, err := o.op.LogIn(ctx, nil, l.URL, u.Subject, u.Password)
	if err != nil {
		t.Fatal(err)
	}
	res, err := o.anon.WaitOIDCLogin(ctx, l.Key)
	return res, resp, body, err
}

func TestOIDCLoginWithoutRoles(t *testing.T) {
	o := startOIDCServer(t)
	ctx := context.Background()
	if _, err := o.admin.CreateRepo(ctx, "data", ""); err != nil {
		t.Fatal(err)
	}
	res, resp, body, err := o.login(t, alice)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Logged in as user:alice@example.com") {
		t.Errorf("the browser's last page: %d %s", resp.StatusCode, body)
	}
	if strings.Contains(body, res.Token) {
		t.Error("the browser's page shows the token")
	}
	if res.Subject != "user:alice@example.com" || !strings.HasPrefix(res.Token, "tusk_") {
		t.Fatalf("login result %+v", res)
	}
	c := o.client(t, res.Token)
	who, err := c.WhoAmI(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if who.Subject != "user:alice@example.com" || who.Admin || len(who.Repos) != 0 {
		t.Errorf("whoami %+v, want alice without roles", who)
	}
	if _, err := c.InspectRepo(ctx, "data"); !errors.Is(err, tusk.ErrForbidden) {
		t.Errorf("alice inspects a repo she has no role on: %v, want forbidden", err)
	}
	if repos, err := c.ListRepos(ctx); err != nil || len(repos) != 0 {
		t.Errorf("alice lists repos: %v, %v; want none", repos, err)
	}
	if err := o.admin.SetRoles(ctx, "data", res.Subject, []string{"repoReader"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.InspectRepo(ctx, "data"); err != nil {
		t.Errorf("alice inspects a repo she reads: %v", err)
	}
	if _, err := c.StartCommit(ctx, "data", "master", ""); !errors.Is(err, tusk.ErrForbidden) {
		t.Errorf("alice writes to a repo she only reads: %v, want forbidden", err)
	}
	// A second login is the same user, with the roles granted.
	res2, _, _, err := o.login(t, alice)
	if err != nil || res2.Subject != res.Subject || res2.Token == res.Token {
		t.Fatalf("second login: %+v, %v", res2, err)
	}
	if _, err := o.client(t, res2.Token).InspectRepo(ctx, "data"); err != nil {
		t.Errorf("alice, logged in again, inspects the repo she reads: %v", err)
	}
}

func TestOIDCAdmins(t *testing.T) {
	o := startOIDCServer(t, "carol@example.com")
	ctx := context.Background()
	for _, tc := range []struct {
		u     oidctest.User
		admin bool
	}{{carol, true}, {alice, false}} {
		res, _, _, err := o.login(t, tc.u)
		if err != nil {
			t.Fatal(err)
		}
		who, err := o.client(t, res.Token).WhoAmI(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if who.Admin != tc.admin {
			t.Errorf("%s: cluster admin %v, want %v", who.Subject, who.Admin, tc.admin)
		}
	}
}

func TestOIDCRefusals(t *testing.T) {
	o := startOIDCServer(t)
	for _, tc := range []struct {
		fault oidctest.Fault
		want  string
	}{
		{oidctest.Forged, "signature"},
		{oidctest.Expired, "expired"},
		{oidctest.WrongAudience, "audience"},
	} {
		o.op.SetFault(tc.fault)
		res, resp, body, err := o.login(t, alice)
		if !errors.Is(err, tusk.ErrUnauthenticated) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: the CLI got %+v, %v; want an unauthenticated error", tc.want, res, err)
		}
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Login refused") {
			t.Errorf("%s: the browser's last page: %d %s", tc.want, resp.StatusCode, body)
		}
	}
	o.op.SetFault(oidctest.NoFault)
	_, resp, _, err := o.login(t, alice)
	if err != nil {
		t.Fatal(err)
	}
	replay, err := http.Get(resp.Request.URL.String())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(replay.Body)
	replay.Body.Close()
	if replay.StatusCode != http.StatusUnauthorized || !strings.Contains(string(b), "no login is waiting for this state") {
		t.Errorf("a replayed callback: %d %s", replay.StatusCode, b)
	}
}

func TestOIDCConsoleLogin(t *testing.T) {
	o := startOIDCServer(t)
	if _, err := o.admin.CreateRepo(context.Background(), "secret", ""); err != nil {
		t.Fatal(err)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{Jar: jar}
	// The console's login page links to the provider.
	page, err := browser.Get("http://" + o.addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if page.StatusCode != http.StatusUnauthorized || !strings.Contains(string(b), `href="/auth/login">Log in with `+o.op.Issuer+`</a>`) {
		t.Fatalf("the console without a session: %d\n%s", page.StatusCode, b)
	}
	resp, body, err := o.op.LogIn(context.Background(), browser, "http://"+o.addr+"/auth/login", alice.Subject, alice.Password)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Continue to the console") {
		t.Fatalf("the callback's page: %d %s", resp.StatusCode, body)
	}
	link := body[strings.Index(body, `href="`)+len(`href="`):]
	link = link[:strings.Index(link, `"`)]
	home, err := browser.Get("http://" + o.addr + link)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(home.Body)
	home.Body.Close()
	// The console's home, as alice, who may not see the admin's repo.
	if home.StatusCode != http.StatusOK || home.Request.URL.Path != "/" || !strings.Contains(string(b), "Repos and pipelines") || strings.Contains(string(b), "secret") {
		t.Errorf("the console after login: %d at %s\n%s", home.StatusCode, home.Request.URL, b)
	}

	// A login begun in one browser and completed in another is refused:
	// nobody can log a victim's browser in as themselves.
	noFollow := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	start, err := noFollow.Get("http://" + o.addr + "/auth/login")
	if err != nil {
		t.Fatal(err)
	}
	start.Body.Close()
	resp, body, err = o.op.LogIn(context.Background(), nil, start.Header.Get("Location"), alice.Subject, alice.Password)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "this browser did not begin the login") {
		t.Errorf("a login completed in another browser: %d %s", resp.StatusCode, body)
	}
}

func TestNoOIDC(t *testing.T) {
	addr, _ := newTestServer(t)
	c, err := client.New(addr)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.BeginOIDCLogin(context.Background())
	var te *tusk.Error
	if !errors.As(err, &te) || te.Kind != tusk.KindNotFound || !strings.Contains(te.Hint, "tusk auth login --token") {
		t.Errorf("an OIDC login at a server without a provider: %#v", err)
	}
}

func TestOIDCIssuerDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	ln.Close()
	_, err = New(context.Background(), Config{DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		OIDC: OIDCConfig{Config: oidc.Config{Issuer: issuer, ClientID: "tusk", ClientSecret: "s", RedirectURL: "http://127.0.0.1:1650/auth/callback"}}})
	if !errors.Is(err, tusk.ErrUnavailable) || !strings.Contains(err.Error(), issuer) {
		t.Errorf("a server whose issuer is down: %v", err)
	}
}

// TestOIDCLoginAcrossServers runs two servers on one PostgreSQL and one
// object store, as behind a load balancer: a login begins at A, the
// provider sends the browser back to B's callback (the one redirect URL
// both are configured with), and the CLI waits at A, or at B.
func TestOIDCLoginAcrossServers(t *testing.T) {
	dsn := testenv.PostgresDatabase(t)
	storage := t.TempDir()
	op := oidctest.New(t, oidctest.Options{ClientID: "tusk", ClientSecret: "tusk-secret", Users: []oidctest.User{alice}})
	cfg := Config{Metadata: dsn, Storage: storage,
		OIDC: OIDCConfig{Config: oidc.Config{Issuer: op.Issuer, ClientID: "tusk", ClientSecret: "tusk-secret"}}}
	_, addrB, _ := startTestServer(t, cfg)
	callback := "http://" + addrB + "/auth/callback"
	op.AllowRedirect(callback)
	cfg.OIDC.RedirectURL = callback
	_, addrA, _ := startTestServer(t, cfg)
	a := &oidcServer{op: op, addr: addrA}
	b := &oidcServer{op: op, addr: addrB}

	for _, waiter := range []struct {
		name string
		at   *oidcServer
	}{{"wait at A", a}, {"wait at B", b}} {
		t.Run(waiter.name, func(t *testing.T) {
			ctx := context.Background()
			l, err := a.client(t, "").BeginOIDCLogin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			resp, body, err := op.LogIn(ctx, nil, l.URL, alice.Subject, alice.Password)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Request.URL.Host != addrB || resp.StatusCode != http.StatusOK || !strings.Contains(body, "Logged in as user:alice@example.com") {
				t.Fatalf("the browser's last page, at %s: %d %s", resp.Request.URL.Host, resp.StatusCode, body)
			}
			res, err := waiter.at.client(t, "").WaitOIDCLogin(ctx, l.Key)
			if err != nil {
				t.Fatal(err)
			}
			if res.Subject != "user:alice@example.com" {
				t.Fatalf("login result %+v", res)
			}
			for _, s := range []*oidcServer{a, b} {
				if who, err := s.client(t, res.Token).WhoAmI(ctx); err != nil || who.Subject != res.Subject {
					t.Errorf("whoami at %s with the login's token: %+v, %v", s.addr, who, err)
				}
			}
			if _, err := b.client(t, "").WaitOIDCLogin(ctx, l.Key); !errors.Is(err, tusk.ErrNotFound) {
				t.Errorf("a second wait for the taken result: %v, want not found", err)
			}
		})
	}
}
