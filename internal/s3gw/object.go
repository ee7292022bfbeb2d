package s3gw

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

// filePath returns the path of the file at key: keys are paths without
// their leading '/', in canonical form.
func filePath(key string) (string, error) {
	p, err := tusk.CleanPath("/" + key)
	if err != nil {
		return "", invalidArgument("key %q: %v", key, err)
	}
	if p != "/"+key {
		return "", invalidArgument("key %q is not a file path: Tusk keys have no empty elements and no trailing '/' (use %q)", key, p[1:])
	}
	return p, nil
}

// getObject answers GetObject and HeadObject, with ranges and
// conditional headers.
func (q *request) getObject(b bucket, key string) error {
	p, err := filePath(key)
	if err != nil {
		return err
	}
	info, err := q.file(b, key, p)
	if err != nil {
		return err
	}
	h := q.w.Header()
	h.Set("ETag", etag(info.Hash))
	h.Set("Last-Modified", b.time.UTC().Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Type", "application/octet-stream")
	if status := conditions(q.r, "", etag(info.Hash), b.time); status != 0 {
		if status == http.StatusPreconditionFailed {
			return errorf("PreconditionFailed", status, "a precondition of the request (If-Match, If-Unmodified-Since) does not hold for %q", key)
		}
		h.Del("Content-Type")
		q.w.WriteHeader(status)
		return nil
	}
	start, length, partial, err := byteRange(q.r.Header.Get("Range"), info.SizeBytes)
	if err != nil {
		h.Set("Content-Range", fmt.Sprintf("bytes */%d", info.SizeBytes))
		return err
	}
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	status := http.StatusOK
	if partial {
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, start+length-1, info.SizeBytes))
		status = http.StatusPartialContent
	}
	if q.r.Method == http.MethodHead {
		q.w.WriteHeader(status)
		return nil
	}
	rd, _, err := q.g.fs.OpenFile(q.ctx(), b.ref(p), start)
	if err != nil {
		return err
	}
	q.w.WriteHeader(status)
	if _, err := io.CopyN(q.w, rd, length); err != nil {
		// The status is sent: cutting the body short is all that is left
		// to tell the client.
		q.g.log.Warn("s3 get object cut short", "bucket", b.name, "key", key, "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// conditions evaluates the conditional headers of r (If-Match and the
// others, each after prefix: x-amz-copy-source- for a copy's source)
// against an object's ETag and modification time as S3 does, and returns
// the status that answers the request instead of the object (304 or 412),
// or 0.
func conditions(r *http.Request, prefix, tag string, modified time.Time) int {
	modified = modified.Truncate(time.Second)
	since := func(name string) (time.Time, bool) {
		v := r.Header.Get(prefix + name)
		if v == "" {
			return time.Time{}, false
		}
		t, err := http.ParseTime(v)
		return t, err == nil
	}
	if m := r.Header.Get(prefix + "If-Match"); m != "" {
		if !etagMatches(m, tag) {
			return http.StatusPreconditionFailed
		}
	} else if t, ok := since("If-Unmodified-Since"); ok && modified.After(t) {
		return http.StatusPreconditionFailed
	}
	if m := r.Header.Get(prefix + "If-None-Match"); m != "" {
		if etagMatches(m, tag) {
			return http.StatusNotModified
		}
	} else if t, ok := since("If-Modified-Since"); ok && !modified.After(t) {
		return http.StatusNotModified
	}
	return 0
}

// etagMatches reports whether a list of ETags of an If-Match or
// If-None-Match header has tag, or is "*".
func etagMatches(list, tag string) bool {
	for t := range strings.SplitSeq(list, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == tag || `"`+t+`"` == tag {
			return true
		}
	}
	return false
}

// byteRange parses a Range header for an object of size bytes: its first
// byte and length, and whether it is a part of the object. A header that
// is not one range of bytes is ignored, as S3 does; a range that starts
// past the end is InvalidRange.
func byteRange(h string, size int64) (start, length int64, partial bool, err error) {
	spec, ok := strings.CutPrefix(h, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return 0, size, false, nil
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return 0, size, false, nil
	}
	invalid := errorf("InvalidRange", http.StatusRequestedRangeNotSatisfiable, "the range %q is not satisfiable: the object has %d bytes", h, size)
	if first == "" {
		n, perr := strconv.ParseInt(last, 10, 64)
		if perr != nil || n < 0 {
			return 0, size, false, nil
		}
		if n == 0 {
			return 0, 0, false, invalid
		}
		n = min(n, size)
		return size - n, n, true, nil
	}
	a, perr := strconv.ParseInt(first, 10, 64)
	if perr != nil || a < 0 {
		return 0, size, false, nil
	}
	end := size - 1
	if last != "" {
		e, perr := strconv.ParseInt(last, 10, 64)
		if perr != nil || e < a {
			return 0, size, false, nil
		}
		end = min(e, size-1)
	}
	if a >= size {
		return 0, 0, false, invalid
	}
	return a, end - a + 1, true, nil
}
