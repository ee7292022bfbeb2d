package server

import (
	"io"
	"net/http"
	"sync"
)

// bodyBuffers keeps the buffers that chunk uploads are read into. A chunk
// is up to a few MiB; a fresh buffer for each one costs an allocation
// that the runtime zeroes, page faults to map it and garbage collection
// to free it again, which together cost about as much CPU as receiving
// the bytes from the socket.
var bodyBuffers sync.Pool // of *[]byte

// maxPooledBody is the largest buffer kept for reuse.
const maxPooledBody = 16 << 20

// readBody reads a request body of at most limit bytes into a buffer that
// the caller hands back with release once nothing refers to it. A body of
// known length is read in one piece, into a buffer of at least size bytes
// (the size most bodies fit, so that the buffer serves them all).
func readBody(w http.ResponseWriter, r *http.Request, limit int64, size int) (data []byte, release func(), err error) {
	body := http.MaxBytesReader(w, r.Body, limit)
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
