package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/tuskdata/tusk/internal/tusk"
)

// Request bodies are bounded per route. A body over its route's limit is
// refused from its Content-Length, before any of it is read, with 413
// Request Entity Too Large; a body sent without a length is cut off at
// the limit as it is read, with the same answer.
const (
	maxJSONBody  = 16 << 20 // a JSON request: a spec, IDs, log lines
	maxChunkBody = 64 << 20 // one chunk upload
)

// limitBody bounds the request bodies of next to limit bytes; a negative
// limit leaves them unbounded.
func limitBody(limit int64, next http.Handler) http.Handler {
	if limit < 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			writeError(w, r, tooLarge(r, limit))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// tooLargeError is a request body over its route's limit; the server
// answers it with 413.
type tooLargeError struct{ err *tusk.Error }

func (e *tooLargeError) Error() string { return e.err.Error() }
func (e *tooLargeError) Unwrap() error { return e.err }

func tooLarge(r *http.Request, limit int64) *tooLargeError {
	size := "a body of unknown length"
	if r.ContentLength >= 0 {
		size = fmt.Sprintf("a body of %d bytes", r.ContentLength)
	}
	return &tooLargeError{tusk.Errorf(tusk.KindInvalid, "%s %s: %s is over the limit of %d bytes for this request",
		r.Method, r.URL.Path, size, limit).
		WithHint("send less at once (a client of the same version as the server splits large uploads)")}
}

// bodyError is the error of reading what from a request body: too large
// if the body went over its limit, else invalid.
func bodyError(r *http.Request, what string, err error) error {
	if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		return tooLarge(r, mbe.Limit)
	}
	return tusk.Errorf(tusk.KindInvalid, "%s: %v", what, err)
}

// bodyBuffers keeps the buffers that chunk uploads are read into. A chunk
// is up to a few MiB; a fresh buffer for each one costs an allocation
// that the runtime zeroes, page faults to map it and garbage collection
// to free it again, which together cost about as much CPU as receiving
// the bytes from the socket.
var bodyBuffers sync.Pool // of *[]byte

// maxPooledBody is the largest buffer kept for reuse.
const maxPooledBody = 16 << 20

// readBody reads a request body, of at most limit bytes (which
// limitBodies enforces), into a buffer that the caller hands back with
// release once nothing refers to it. A body of known length is read in
// one piece, into a buffer of at least size bytes (the size most bodies
// fit, so that the buffer serves them all).
func readBody(r *http.Request, limit int64, size int) (data []byte, release func(), err error) {
	body := r.Body
	if r.ContentLength < 0 || r.ContentLength > limit {
		data, err = io.ReadAll(body)
		return data, func() {}, err
	}
	n := int(r.ContentLength)
	var buf []byte
	if bp, ok := bodyBuffers.Get().(*[]byte); ok {
		buf = *bp
	}
	if cap(buf) < n {
		buf = make([]byte, n, max(n, size))
	}
	buf = buf[:n]
	release = func() {
		if cap(buf) > maxPooledBody {
			return
		}
		b := buf[:0]
		bodyBuffers.Put(&b)
	}
	if _, err := io.ReadFull(body, buf); err != nil {
		release()
		return nil, func() {}, err
	}
	return buf, release, nil
}
