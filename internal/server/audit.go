package server

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

// An auditRecord is what the handling of one request tells its audit
// event beyond the request itself: who made it (authentication), what
// its body named (readJSON, readSpecs) and why it failed (writeError).
type auditRecord struct {
	mu   sync.Mutex
	who  string
	args map[string]string
	err  string
}

type auditKey struct{}

// recordOf returns the audit record of r, nil for a request made outside
// the audited handler (a test calling a handler directly).
func recordOf(r *http.Request) *auditRecord {
	rec, _ := r.Context().Value(auditKey{}).(*auditRecord)
	return rec
}

// noteArg records that r's body names value as key ("repo", "ref", …).
func noteArg(r *http.Request, key, value string) {
	rec := recordOf(r)
	if rec == nil || value == "" {
		return
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.args == nil {
		rec.args = map[string]string{}
	}
	rec.args[key] = value
}

// auditArgs are the fields of request bodies an audit event keeps: they
// name what a request acts on, and none holds a secret.
var auditArgs = map[string]bool{"name": true, "repo": true, "branch": true, "ref": true, "id": true, "head": true, "pipeline": true, "job": true, "worker": true}

// noteBody records the auditArgs among the string fields of v, a
// decoded request body (a pointer to a struct).
func noteBody(r *http.Request, v any) {
	if recordOf(r) == nil {
		return
	}
	rv := reflect.Indirect(reflect.ValueOf(v))
	if rv.Kind() != reflect.Struct {
		return
	}
	for i := range rv.NumField() {
		f := rv.Type().Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if auditArgs[name] && f.Type.Kind() == reflect.String {
			noteArg(r, name, rv.Field(i).String())
		}
	}
}

// noteError records why r failed: the error's message, without its hint.
func noteError(r *http.Request, te *tusk.Error) {
	if rec := recordOf(r); rec != nil {
		rec.mu.Lock()
		rec.err = te.Message
		if rec.err == "" {
			rec.err = string(te.Kind)
		}
		rec.mu.Unlock()
	}
}

// secretParams are query parameters an audit event blanks.
var secretParams = []string{"token", "code", "secret", "state", "key"}

// audited records in the audit log every request that changes state, and
// every request refused for who made it or where it came from, with its
// result.
func (s *Server) audited(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &auditRecord{}
		r = r.WithContext(context.WithValue(r.Context(), auditKey{}, rec))
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		denied := sw.code == http.StatusUnauthorized || sw.code == http.StatusForbidden
		if !denied && (r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions) {
			return
		}
		e := tusk.AuditEvent{Time: start.UTC(), Remote: remoteOf(r), Method: r.Method, Path: r.URL.Path,
			Query: redactQuery(r.URL.Query()), Route: r.Pattern, Status: sw.code, Result: tusk.AuditOK,
			DurationMS: float64(time.Since(start).Microseconds()) / 1000}
		rec.mu.Lock()
		e.Who, e.Args, e.Error = rec.who, rec.args, rec.err
		rec.mu.Unlock()
		switch {
		case denied:
			e.Result = tusk.AuditDenied
		case sw.code >= 400:
			e.Result = tusk.AuditFailed
		}
		s.audit.Record(e)
	})
}

// remoteOf returns the address r came from, or "worker socket".
func remoteOf(r *http.Request) string {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && a.Network() == "unix" {
		return "worker socket"
	}
	return r.RemoteAddr
}

// redactQuery encodes q with the values of secretParams blanked.
func redactQuery(q url.Values) string {
	for _, p := range secretParams {
		if q.Has(p) {
			q.Set(p, "REDACTED")
		}
	}
	return q.Encode()
}
