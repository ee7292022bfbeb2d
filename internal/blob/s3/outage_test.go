package s3

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// proxiedStore returns a store in a fresh prefix that reaches the test
// server through a proxy, in a blob.Retry with the given limit.
func proxiedStore(t *testing.T, limit time.Duration) (*blob.Retry, *testenv.Proxy, *syncBuffer) {
	t.Helper()
	cfg := testConfig(t)
	proxy := testenv.StartProxy(t, cfg.Endpoint)
	cfg.Endpoint = proxy.Addr()
	logs := &syncBuffer{}
	r := blob.NewRetry(newTestStore(t, cfg), blob.RetryOptions{Limit: limit, Transient: Transient,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	t.Cleanup(func() {
		proxy.Start() // for the cleanup of newTestStore, which runs next
		r.Close()
	})
	return r, proxy, logs
}

func TestPutSurvivesOutage(t *testing.T) {
	ctx := context.Background()
	r, proxy, logs := proxiedStore(t, 20*time.Second)
	if err := r.Put(ctx, "before", []byte("x")); err != nil {
		t.Fatalf("Put before the outage: %v", err)
	}
	data := bytes.Repeat([]byte("tusk"), 4<<20) // 16 MiB
	proxy.Stop()
	time.AfterFunc(2*time.Second, proxy.Start)
	start := time.Now()
	if err := r.Put(ctx, "during", data); err != nil {
		t.Fatalf("Put during a 2s outage: %v\nlog:\n%s", err, logs)
	}
	if d := time.Since(start); d < 2*time.Second {
		t.Errorf("Put returned after %s, before the server came back", d)
	}
	got, err := r.Get(ctx, "during")
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("Get after the outage: %d bytes, %v; want the %d bytes put", len(got), err, len(data))
	}
	out := logs.String()
	if !strings.Contains(out, `msg="object store unavailable; retrying" op=put key=during`) || !strings.Contains(out, "connection refused") {
		t.Errorf("the outage's start is not logged with its cause:\n%s", out)
	}
	if !strings.Contains(out, `msg="object store available again"`) {
		t.Errorf("the recovery is not logged:\n%s", out)
	}
}

func TestPutFailsPastRetryLimit(t *testing.T) {
	ctx := context.Background()
	r, proxy, _ := proxiedStore(t, time.Second)
	proxy.Stop()
	start := time.Now()
	err := r.Put(ctx, "k", []byte("v"))
	if d := time.Since(start); d < time.Second {
		t.Errorf("Put gave up after %s, before the 1s limit", d)
	}
	if !errors.Is(err, tusk.ErrUnavailable) || !strings.Contains(err.Error(), "unavailable for 1s") || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("Put with the server down past the limit = %v; want an unavailable error naming the limit and the cause", err)
	}
}

func TestTransient(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	proxy := testenv.StartProxy(t, cfg.Endpoint)
	cfg.Endpoint = proxy.Addr()
	s := newTestStore(t, cfg)
	defer s.Close()
	if _, err := s.Get(ctx, "missing"); !errors.Is(err, blob.ErrNotFound) || Transient(err) {
		t.Errorf("Get of a missing key = %v (transient: %v), want a permanent not-found error", err, Transient(err))
	}
	proxy.Stop()
	defer proxy.Start() // for newTestStore's cleanup
	if err := s.Put(ctx, "k", []byte("v")); err == nil || !Transient(err) {
		t.Errorf("Put with the server unreachable = %v (transient: %v), want a transient error", err, Transient(err))
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Put(canceled, "k", []byte("v")); err == nil || Transient(err) {
		t.Errorf("Put with a canceled context = %v (transient: %v), want a permanent error", err, Transient(err))
	}
}
