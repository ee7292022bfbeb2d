package runnertest

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// asks records the workers' requests for work, in front of the server's
// API: the token each one came with, and the tokens the server refused.
type asks struct {
	mu      sync.Mutex
	seen    map[string]bool   // tokens that asked
	refused map[string]string // token → the server's answer
	last    map[string]string // worker ID → the token it last asked with
}

func newAsks() *asks {
	return &asks{seen: map[string]bool{}, refused: map[string]string{}, last: map[string]string{}}
}

// wrap records the requests for work that h serves.
func (a *asks) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/workers/next" {
			h.ServeHTTP(w, r)
			return
		}
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		a.mu.Lock()
		a.seen[tok] = true
		a.last[r.URL.Query().Get("worker")] = tok
		a.mu.Unlock()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		if sw.status == http.StatusUnauthorized || sw.status == http.StatusForbidden {
			a.mu.Lock()
			a.refused[tok] = fmt.Sprintf("worker %s: %d %s", r.URL.Query().Get("worker"), sw.status, http.StatusText(sw.status))
			a.mu.Unlock()
		}
	})
}

// asked reports whether a worker asked for work with tok, and the server
// did not refuse it.
func (a *asks) asked(tok string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, refused := a.refused[tok]
	return a.seen[tok] && !refused
}

// tokenOf returns the token worker last asked for work with, "" if it
// never asked.
func (a *asks) tokenOf(worker string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last[worker]
}

// refusals returns what the server refused.
func (a *asks) refusals() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, r := range a.refused {
		out = append(out, r)
	}
	return out
}

// statusWriter remembers the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}
