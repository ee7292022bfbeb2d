package server

import (
	"net/http"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

// auditLog streams the audit log's events since the query's since
// (RFC 3339), oldest first.
func (s *Server) auditLog(w http.ResponseWriter, r *http.Request) {
	var since time.Time
	if v := r.URL.Query().Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			writeError(w, r, tusk.Errorf(tusk.KindInvalid, "since=%q: want a time in RFC 3339, such as 2026-01-02T15:04:05Z", v))
			return
		}
		since = t
	}
	if s.audit == nil {
		writeError(w, r, tusk.Errorf(tusk.KindNotFound, "this server keeps no audit log: it has no data directory").
			WithHint("the audit log is kept in DATA_DIR/audit by a server started with a data directory (tusk up --data-dir)"))
		return
	}
	st := newStream(w)
	st.finish(r, s.audit.Read(since, func(e tusk.AuditEvent) error { return st.send(e) }))
}
