package s3

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/blob"
)

// putRecorder is a reverse proxy to the test server that records the
// payload headers of every PUT and damages the bodies of the first
// damage PUTs (one byte flipped, the length kept).
type putRecorder struct {
	mu      sync.Mutex
	damage  int
	hashes  []string // X-Amz-Content-Sha256
	crc32cs []string // x-amz-checksum-crc32c
}

// proxiedConfig returns the Config of the test server reached through
// rec, or skips the test.
func proxiedConfig(t *testing.T, rec *putRecorder) Config {
	t.Helper()
	cfg := testConfig(t)
	if !cfg.Insecure {
		t.Skip("TUSK_TEST_S3 is https: minio-go sends the payload unsigned there whatever the options")
	}
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: cfg.Endpoint})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			rec.mu.Lock()
			rec.hashes = append(rec.hashes, r.Header.Get("X-Amz-Content-Sha256"))
			rec.crc32cs = append(rec.crc32cs, r.Header.Get("X-Amz-Checksum-Crc32c"))
			damage := rec.damage > 0
			rec.damage--
			rec.mu.Unlock()
			if damage {
				body, err := io.ReadAll(r.Body)
				if err != nil || len(body) == 0 {
					http.Error(w, "read body to damage", http.StatusBadGateway)
					return
				}
				body[len(body)/2] ^= 1
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close) // after the cleanups of stores made next, which go through it
	cfg.Endpoint = strings.TrimPrefix(srv.URL, "http://")
	return cfg
}

// TestPutSendsChecksumNotSignature checks that a Store puts objects over
// plain http with their CRC-32C and no payload signature, and that the
// S3 server takes them.
func TestPutSendsChecksumNotSignature(t *testing.T) {
	ctx := context.Background()
	rec := &putRecorder{}
	s := newTestStore(t, proxiedConfig(t, rec))
	defer s.Close()

	data := bytes.Repeat([]byte("tusk"), 1<<18) // 1 MiB, a chunk's size
	if err := s.Put(ctx, "chunks/ab/abc", data); err != nil {
		t.Fatalf("Put: %v", err)
	}
	got, err := s.Get(ctx, "chunks/ab/abc")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get = %d bytes, %v; want the %d bytes put", len(got), err, len(data))
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	// CRC-32C of "tusk" repeated to 1 MiB, base64 of its big-endian bytes
	// (computed apart, with Python).
	const crc = "sK99mw=="
	if len(rec.hashes) != 1 || rec.hashes[0] != "UNSIGNED-PAYLOAD" || rec.crc32cs[0] != crc {
		t.Errorf("PUTs with X-Amz-Content-Sha256 %q and x-amz-checksum-crc32c %q; want one with %q and %q",
			rec.hashes, rec.crc32cs, "UNSIGNED-PAYLOAD", crc)
	}
}

// TestPutRefusesDamagedPayload checks that the S3 server refuses a put
// whose bytes were damaged on the way, that the store says so and stores
// nothing, and that blob.Retry sends it again.
func TestPutRefusesDamagedPayload(t *testing.T) {
	ctx := context.Background()
	rec := &putRecorder{damage: 1}
	s := newTestStore(t, proxiedConfig(t, rec))
	defer s.Close()
	data := bytes.Repeat([]byte("tusk"), 1<<10)

	err := s.Put(ctx, "damaged", data)
	if err == nil || !Transient(err) {
		t.Fatalf("Put of a damaged payload = %v; want a transient error", err)
	}
	if _, err := s.Get(ctx, "damaged"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Get after the refused put = %v; want not found", err)
	}

	rec.mu.Lock()
	rec.damage = 1
	rec.mu.Unlock()
	r := blob.NewRetry(s, blob.RetryOptions{Limit: 20 * time.Second, Transient: Transient})
	if err := r.Put(ctx, "retried", data); err != nil {
		t.Fatalf("Put through Retry of a payload damaged once: %v", err)
	}
	if got, err := s.Get(ctx, "retried"); err != nil || !bytes.Equal(got, data) {
		t.Errorf("Get after the retried put = %d bytes, %v; want the %d bytes put", len(got), err, len(data))
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.hashes) != 3 {
		t.Errorf("%d PUTs reached the proxy; want 3 (refused, refused, sent again)", len(rec.hashes))
	}
}
