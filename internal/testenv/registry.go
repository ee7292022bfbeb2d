package testenv

import (
	"crypto/subtle"
	"io"
	"log"
	"net"
	"net/http"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// StartRegistry serves an OCI registry, in memory, on a free port of
// 127.0.0.1 until the test ends, and returns its host:port. With a user,
// every request needs HTTP basic auth with user and password. The Docker
// engine pulls from and pushes to it over plain HTTP, as it does with any
// registry on 127.0.0.0/8.
func StartRegistry(t testing.TB, user, password string) string {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if user != "" {
		h = basicAuth(h, user, password)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// basicAuth answers 401 with a Basic challenge, as registries do, unless
// the request carries user and password.
func basicAuth(h http.Handler, user, password string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u+"\x00"+p), []byte(user+"\x00"+password)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="tusk-test"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`))
			return
		}
		h.ServeHTTP(w, r)
	})
}
