package tusk

import "time"

// Results of audited requests.
const (
	AuditOK     = "ok"     // the request did what it asked
	AuditDenied = "denied" // refused: no or a bad identity, no permission, a browser check
	AuditFailed = "failed" // any other error
)

// An AuditEvent is one line of a server's audit log: a request that
// changed, or tried to change, state, or any request that was refused.
type AuditEvent struct {
	Time time.Time `json:"time"`
	// Who is the caller's subject ("user:NAME", "robot:NAME",
	// "pipeline:NAME"); empty when the request carried no identity.
	Who string `json:"who,omitempty"`
	// Remote is the client's address, or "worker socket".
	Remote string `json:"remote"`
	Method string `json:"method"`
	Path   string `json:"path"`
	// Query is the request's query, secrets (tokens, codes) blanked.
	Query string `json:"query,omitempty"`
	// Route is the API route the request matched, if any.
	Route string `json:"route,omitempty"`
	// Args are what the request's body names: repo, branch, ref, name…
	Args       map[string]string `json:"args,omitempty"`
	Status     int               `json:"status"`
	Result     string            `json:"result"` // AuditOK, AuditDenied or AuditFailed
	Error      string            `json:"error,omitempty"`
	DurationMS float64           `json:"duration_ms"`
}
