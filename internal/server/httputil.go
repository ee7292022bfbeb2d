package server

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/tuskdata/tusk/internal/tusk"
)

// errorBody is how errors travel: the kind survives the wire.
type errorBody struct {
	Error *tusk.Error `json:"error"`
}

func statusOf(k tusk.Kind) int {
	switch k {
	case tusk.KindNotFound:
		return http.StatusNotFound
	case tusk.KindExists, tusk.KindConflict:
		return http.StatusConflict
	case tusk.KindInvalid:
		return http.StatusBadRequest
	case tusk.KindUnavailable:
		return http.StatusServiceUnavailable
	case tusk.KindUnauthenticated:
		return http.StatusUnauthorized
	case tusk.KindForbidden:
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

func asTuskError(err error) *tusk.Error {
	var te *tusk.Error
	if errors.As(err, &te) {
		out := *te
		out.Message = err.Error()
		if te.Hint != "" {
			// err.Error() already ends with the hint; keep it separate.
			out.Message = strings.TrimSuffix(out.Message, "; "+te.Hint)
		} else {
			out.Hint = notFoundHint(err)
		}
		return &out
	}
	return &tusk.Error{Kind: tusk.KindInternal, Message: err.Error()}
}

func writeError(w http.ResponseWriter, r *http.Request, err error) {
	te := asTuskError(err)
	noteError(r, te)
	if te.Kind == tusk.KindInternal && r.Context().Err() == nil {
		slog.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	status := statusOf(te.Kind)
	if tl := (*tooLargeError)(nil); errors.As(err, &tl) {
		status = http.StatusRequestEntityTooLarge
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	newEncoder(w).Encode(errorBody{te})
}

// reply answers with v as JSON, or with err.
func reply(w http.ResponseWriter, r *http.Request, v any, err error) {
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, v)
}

// replyList streams items as newline-delimited JSON, then err if any.
func replyList[T any](w http.ResponseWriter, r *http.Request, items []T, err error) {
	st := newStream(w)
	for _, it := range items {
		st.send(it)
	}
	st.finish(r, err)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	newEncoder(w).Encode(v)
}

// newEncoder returns a JSON encoder that leaves <, > and & as they are:
// the API's JSON is read by programs and people (curl, the CLI's -o json),
// never embedded in HTML, and a command like "echo hi >&2" should read so.
func newEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

func readJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(r, "bad request body", err)
	}
	noteBody(r, v)
	return nil
}

// stream writes newline-delimited JSON. An error after the first item is
// sent as a last line {"error": …}, which the client turns back into an
// error.
type stream struct {
	w       http.ResponseWriter
	enc     *json.Encoder
	flusher http.Flusher
	started bool
}

func newStream(w http.ResponseWriter) *stream {
	f, _ := w.(http.Flusher)
	return &stream{w: w, enc: newEncoder(w), flusher: f}
}

func (s *stream) send(v any) error {
	if !s.started {
		s.w.Header().Set("Content-Type", "application/x-ndjson")
		s.started = true
	}
	return s.enc.Encode(v)
}

func (s *stream) flush() {
	if s.flusher != nil {
		s.flusher.Flush()
	}
}

func (s *stream) finish(r *http.Request, err error) {
	if err == nil {
		if !s.started {
			s.w.Header().Set("Content-Type", "application/x-ndjson")
		}
		return
	}
	if !s.started {
		writeError(s.w, r, err)
		return
	}
	s.enc.Encode(errorBody{asTuskError(err)})
}

func queryInt(r *http.Request, name string) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, tusk.Errorf(tusk.KindInvalid, "query parameter %s=%q: want a non-negative integer", name, v)
	}
	return n, nil
}

func queryBool(r *http.Request, name string) bool {
	b, _ := strconv.ParseBool(r.URL.Query().Get(name))
	return b
}
