package server

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/client"
)

// routeBodies are bodies that the routes would accept, so that a request
// the checks let through would show as a change of the server's state.
var routeBodies = map[string]string{
	"POST /v1/repos":     `{"name": "planted"}`,
	"POST /v1/pipelines": `{"pipeline": {"name": "planted"}, "input": {"pfs": {"repo": "kept", "glob": "/*"}}, "transform": {"cmd": ["true"]}}`,
}

var patternParam = regexp.MustCompile(`\{(\w+)(\.\.\.)?\}`)

// requestOf returns a method and a path that the route of pattern serves;
// the path names the repo "kept", or things that do not exist.
func requestOf(pattern string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	path = patternParam.ReplaceAllStringFunc(path, func(p string) string {
		if p == "{action}" {
			return "stop"
		}
		return "kept"
	})
	return method, path
}

// TestBrowserChecksCoverEveryRoute sends to every route of the server
// what a page of another site can make a browser send: a Host the server
// does not answer to (DNS rebinding), a foreign Origin, and the body types
// that need no CORS preflight. Each is refused with 403 and a hint, and
// nothing changes; a request as the CLI sends it passes the checks.
func TestBrowserChecksCoverEveryRoute(t *testing.T) {
	s, addr, token := startTestServer(t, Config{})
	_, port, _ := net.SplitHostPort(addr)
	c, err := client.New(addr, client.WithToken(token))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateRepo(t.Context(), "kept", ""); err != nil {
		t.Fatal(err)
	}
	head, err := c.StartCommit(t.Context(), "kept", "master", "")
	if err != nil {
		t.Fatal(err)
	}
	endpoints := s.endpoints()
	for pattern, types := range bodyTypes {
		if !slices.ContainsFunc(endpoints, func(e endpoint) bool { return e.pattern == pattern }) {
			t.Errorf("bodyTypes names %q, which is no route", pattern)
		}
		for _, ct := range types {
			if slices.Contains(simpleTypes, ct) {
				t.Errorf("route %s takes %s, which any page can send", pattern, ct)
			}
		}
	}
	send := func(t *testing.T, method, path, host, contentType string, header http.Header, body string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		if header != nil {
			req.Header = header
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	refused := func(t *testing.T, what string, resp *http.Response, says, flag string) {
		t.Helper()
		defer resp.Body.Close()
		var body struct {
			Error struct{ Kind, Message, Hint string }
		}
		err := json.NewDecoder(resp.Body).Decode(&body)
		if err != nil || resp.StatusCode != http.StatusForbidden || body.Error.Kind != "forbidden" ||
			!strings.Contains(body.Error.Message, says) || !strings.Contains(body.Error.Hint, flag) {
			t.Errorf("%s: %s %+v (%v), want 403 forbidden saying %q with a hint of %s", what, resp.Status, body.Error, err, says, flag)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: the refusal has no X-Content-Type-Options: nosniff", what)
		}
	}
	for _, e := range endpoints {
		t.Run(e.pattern, func(t *testing.T) {
			method, path := requestOf(e.pattern)
			want := bodyTypesOf(e.pattern)[0]
			body := routeBodies[e.pattern]
			if body == "" && method != http.MethodGet {
				body = "{}"
			}
			foreignHost := "rebound.example:" + port
			refused(t, "a foreign Host", send(t, method, path, foreignHost, want, nil, body), `host "`+foreignHost+`"`, "--server-name rebound.example")
			refused(t, "a foreign Host and Origin", send(t, method, path, foreignHost, want, http.Header{"Origin": {"http://" + foreignHost}}, body),
				`host "`+foreignHost+`"`, "--server-name")
			if method == http.MethodGet {
				return
			}
			refused(t, "a foreign Origin", send(t, method, path, addr, want, http.Header{"Origin": {"http://evil.example"}}, body),
				"origin http://evil.example", "--allow-origin http://evil.example")
			refused(t, "a cross-site fetch", send(t, method, path, addr, want, http.Header{"Sec-Fetch-Site": {"cross-site"}}, body),
				"Sec-Fetch-Site: cross-site", "--allow-origin")
			refused(t, "an opaque origin", send(t, method, path, addr, want, http.Header{"Origin": {"null"}}, body),
				"origin null", "--allow-origin")
			for _, ct := range append(slices.Clone(simpleTypes), "text/plain; charset=utf-8", "") {
				refused(t, "Content-Type "+ct, send(t, method, path, addr, ct, nil, body), "Content-Type", "Content-Type: "+want)
			}

			// The request as the CLI or the server's own pages send it
			// passes the checks.
			local, err := net.ResolveTCPAddr("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range []http.Header{
				{"Content-Type": {want}},
				{"Content-Type": {want + "; charset=utf-8"}, "Origin": {"http://" + addr}, "Sec-Fetch-Site": {"same-origin"}},
				{"Content-Type": {want}, "Origin": {"http://localhost:" + port}},
			} {
				for _, host := range []string{addr, "localhost:" + port} {
					req, err := http.NewRequestWithContext(context.WithValue(t.Context(), http.LocalAddrContextKey, local), method, path, strings.NewReader(body))
					if err != nil {
						t.Fatal(err)
					}
					req.Host, req.Header = host, h
					if h.Get("Origin") == "http://localhost:"+port && host != "localhost:"+port {
						continue // an Origin is the Host of a page's own requests
					}
					if err := s.browser.check(req, bodyTypesOf(e.pattern)); err != nil {
						t.Errorf("Host %s, %v: refused: %v", host, h, err)
					}
				}
			}
		})
	}
	if repos, err := c.ListRepos(t.Context()); err != nil || len(repos) != 1 || repos[0].Name != "kept" {
		t.Errorf("after the refused requests: repos %v, %v; want kept alone", repos, err)
	}
	if b, err := c.InspectBranch(t.Context(), "kept", "master"); err != nil || b.Head != head.ID {
		t.Errorf("after the refused requests: kept@master is %+v, %v; want its open commit %s", b, err, head.ID)
	}
	if pipelines, err := c.ListPipelines(t.Context()); err != nil || len(pipelines) != 0 {
		t.Errorf("after the refused requests: pipelines %v, %v; want none", pipelines, err)
	}
}

// TestHostsTheServerAnswersTo checks the Host rule on the addresses a
// server may be reached at.
func TestHostsTheServerAnswersTo(t *testing.T) {
	g, err := newBrowserGuard([]string{"Tusk.Example.com", "proxy.local:8443", "10.1.2.3"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	loopback := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1650}
	lan := &net.TCPAddr{IP: net.ParseIP("192.168.1.5"), Port: 1650}
	v6 := &net.TCPAddr{IP: net.ParseIP("::1"), Port: 1650}
	for _, tc := range []struct {
		host  string
		local *net.TCPAddr
		ok    bool
	}{
		{"127.0.0.1:1650", loopback, true},
		{"localhost:1650", loopback, true},
		{"LOCALHOST.:1650", loopback, true},
		{"[::1]:1650", loopback, true},
		{"[::1]:1650", v6, true},
		{"192.168.1.5:1650", lan, true},
		{"localhost:1650", lan, true},
		{"tusk.example.com", loopback, true},
		{"tusk.example.com:9000", lan, true},
		{"proxy.local:8443", loopback, true},
		{"10.1.2.3:80", loopback, true},
		{"localhost:1651", loopback, false},
		{"127.0.0.1", loopback, false},
		{"192.168.1.5:1650", loopback, false},
		{"192.168.1.6:1650", lan, false},
		{"proxy.local:443", loopback, false},
		{"proxy.local", loopback, false},
		{"rebound.example:1650", loopback, false},
		{"localhost.rebound.example:1650", loopback, false},
		{"", loopback, false},
	} {
		r, err := http.NewRequest(http.MethodGet, "/v1/info", nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Host = tc.host
		if err := g.checkHost(r, tc.local); (err == nil) != tc.ok {
			t.Errorf("Host %q on %s: %v, want accepted %v", tc.host, tc.local, err, tc.ok)
		}
	}
}

func TestBrowserFlagsAreChecked(t *testing.T) {
	for _, tc := range []struct {
		names, origins []string
		says           string
	}{
		{names: []string{"http://tusk.example.com"}, says: `--server-name "http://tusk.example.com"`},
		{names: []string{""}, says: `--server-name ""`},
		{names: []string{":8080"}, says: `--server-name ":8080"`},
		{origins: []string{"localhost:3000"}, says: `--allow-origin "localhost:3000"`},
		{origins: []string{"http://localhost:3000/app"}, says: `--allow-origin "http://localhost:3000/app"`},
		{origins: []string{"ftp://files.example"}, says: `--allow-origin "ftp://files.example"`},
	} {
		_, err := newBrowserGuard(tc.names, tc.origins)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("names %q, origins %q: %v, want an error about %s", tc.names, tc.origins, err, tc.says)
		}
	}
	g, err := newBrowserGuard(nil, []string{"HTTP://LocalHost:3000/"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := http.NewRequest(http.MethodPost, "/v1/repos", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Host, r.Header = "localhost:1650", http.Header{"Origin": {"http://localhost:3000"}, "Sec-Fetch-Site": {"same-site"}}
	if err := g.checkOrigin(r); err != nil {
		t.Errorf("an allowed origin is refused: %v", err)
	}
}

// TestWorkerSocketSkipsHostAndOriginChecks sends requests over the
// workers' Unix socket, which no browser can open: a foreign Host and
// Origin pass, a simple body type does not.
func TestWorkerSocketSkipsHostAndOriginChecks(t *testing.T) {
	s, _, token := startTestServer(t, Config{})
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", s.socket.Addr().String())
	}}}
	post := func(contentType string) *http.Response {
		req, err := http.NewRequest(http.MethodPost, "http://rebound.example/v1/repos", strings.NewReader(`{"name": "viasocket"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", "http://rebound.example")
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := post("text/plain"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("text/plain on the worker socket: %s, want 403", resp.Status)
	}
	if resp := post("application/json"); resp.StatusCode != http.StatusOK {
		t.Errorf("a JSON request on the worker socket: %s, want 200", resp.Status)
	}
}

// TestAPIResponsesCarrySecurityHeaders checks that an API answer cannot be
// framed, sniffed into a document, or run as one.
func TestAPIResponsesCarrySecurityHeaders(t *testing.T) {
	addr, _ := newTestServer(t)
	resp, err := http.Get("http://" + addr + "/v1/info")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for name, want := range map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
		"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; sandbox",
	} {
		if got := resp.Header.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}
