package server

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/tuskdata/tusk/internal/client"
)

// fuzzQueries are the query parameters the routes that take them need
// to read their bodies at all.
var fuzzQueries = map[string]url.Values{
	"POST /v1/files/modify": {"ref": {"kept@master"}},
	"POST /v1/workers/next": {"pipeline": {"kept"}, "worker": {"w"}, "wait": {"1ms"}},
}

// FuzzRouteBodies sends arbitrary bodies, of the type each route takes,
// to every route that takes one (POST, PUT, PATCH) of a server with a
// repo "kept", as its cluster admin: none may panic or answer with a server error. The route is
// the one the first argument names, else one picked by it. Requests go
// straight to the server's handler, so that a panic fails the test
// rather than being caught by net/http.
func FuzzRouteBodies(f *testing.F) {
	// Workers of the pipelines the fuzzer creates cannot start: no binary.
	s, addr, token := startTestServer(f, Config{Runner: "process", WorkerBinary: "/nonexistent/tusk"})
	c, err := client.New(addr, client.WithToken(token))
	if err != nil {
		f.Fatal(err)
	}
	if _, err := c.CreateRepo(f.Context(), "kept", ""); err != nil {
		f.Fatal(err)
	}
	local, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		f.Fatal(err)
	}
	var writes []endpoint
	for _, e := range s.endpoints() {
		if method, _ := requestOf(e.pattern); method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
			writes = append(writes, e)
		}
	}
	for _, e := range writes {
		f.Add(e.pattern, []byte("{}"))
	}
	f.Fuzz(func(t *testing.T, route string, body []byte) {
		e := pickWrite(writes, route)
		method, path := requestOf(e.pattern)
		if q := fuzzQueries[e.pattern]; len(q) > 0 {
			path += "?" + q.Encode()
		}
		ctx := context.WithValue(t.Context(), http.LocalAddrContextKey, local)
		req := httptest.NewRequestWithContext(ctx, method, path, bytes.NewReader(body))
		req.Host = addr
		req.Header.Set("Content-Type", bodyTypesOf(e.pattern)[0])
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s with body %q: %d %s", e.pattern, body, rec.Code, rec.Body)
		}
	})
}

// pickWrite returns the route of writes that route names, else one that
// the bytes of route pick.
func pickWrite(writes []endpoint, route string) endpoint {
	n := 0
	for _, w := range writes {
		if w.pattern == route {
			return w
		}
	}
	for _, b := range []byte(route) {
		n += int(b)
	}
	return writes[n%len(writes)]
}
