package blob_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/blob/blobtest"
	"github.com/tuskdata/tusk/internal/tusk"
)

// injected says the faults of blob.Faulty are transient.
func injected(err error) bool { return errors.Is(err, blob.ErrInjected) }

// logBuffer is a concurrency-safe log destination.
type logBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func newLogBuffer() *logBuffer { return &logBuffer{} }

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newRetry(s blob.Store, limit time.Duration, log *logBuffer) *blob.Retry {
	return blob.NewRetry(s, blob.RetryOptions{Limit: limit, Transient: injected, Logger: slog.New(slog.NewTextHandler(log, nil))})
}

func TestRetryConformance(t *testing.T) {
	blobtest.Run(t, func(*testing.T) blob.Store { return newRetry(blob.NewMemory(), time.Second, newLogBuffer()) })
}

func TestRetrySurvivesOutage(t *testing.T) {
	ctx := context.Background()
	faulty := blob.NewFaulty(blob.NewMemory())
	log := newLogBuffer()
	r := newRetry(faulty, 10*time.Second, log)
	faulty.FailAfter(0)
	time.AfterFunc(400*time.Millisecond, func() { faulty.FailAfter(-1) })
	start := time.Now()
	if err := r.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatalf("Put during a 400ms outage: %v", err)
	}
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Errorf("Put returned after %s, before the outage ended", d)
	}
	if got, err := faulty.Get(ctx, "k"); err != nil || string(got) != "v" {
		t.Errorf("Get after the outage = %q, %v; want %q", got, err, "v")
	}
	logs := log.String()
	if !strings.Contains(logs, "level=WARN msg=\"object store unavailable; retrying\" op=put key=k") {
		t.Errorf("the outage's start is not logged:\n%s", logs)
	}
	if !strings.Contains(logs, "level=INFO msg=\"object store available again\" outage=") {
		t.Errorf("the outage's end is not logged:\n%s", logs)
	}
	if n := strings.Count(logs, "\n"); n != 2 {
		t.Errorf("%d log lines for one outage, want 2:\n%s", n, logs)
	}
}

func TestRetryGivesUpAtLimit(t *testing.T) {
	ctx := context.Background()
	faulty := blob.NewFaulty(blob.NewMemory())
	log := newLogBuffer()
	r := newRetry(faulty, 300*time.Millisecond, log)
	faulty.FailAfter(0)
	start := time.Now()
	_, err := r.Get(ctx, "k")
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("Get gave up after %s, before the limit", d)
	}
	if !errors.Is(err, tusk.ErrUnavailable) || !errors.Is(err, blob.ErrInjected) || !strings.Contains(err.Error(), "unavailable for 300ms") {
		t.Errorf("Get past the limit = %v; want an unavailable error wrapping the store's, naming the limit", err)
	}
	if err := r.Put(ctx, "k", nil); !errors.Is(err, tusk.ErrUnavailable) {
		t.Errorf("a second call past the limit = %v, want an unavailable error", err)
	}
	if n := strings.Count(log.String(), `level=ERROR msg="object store still unavailable; calls fail" op=get key=k`); n != 1 {
		t.Errorf("%d errors logged for two calls that gave up in one outage, want 1:\n%s", n, log)
	}
}

func TestRetryLeavesPermanentErrors(t *testing.T) {
	ctx := context.Background()
	faulty := blob.NewFaulty(blob.NewMemory())
	r := newRetry(faulty, 10*time.Second, newLogBuffer())
	var calls atomic.Int32
	faulty.FailIf(func(blob.Op, string) bool { calls.Add(1); return false })
	if _, err := r.Get(ctx, "missing"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Get of a missing key = %v, want ErrNotFound", err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("Get of a missing key made %d calls, want 1", n)
	}
	canceled, cancel := context.WithCancel(ctx)
	faulty.FailAfter(0)
	time.AfterFunc(200*time.Millisecond, cancel)
	if err := r.Put(canceled, "k", []byte("v")); !errors.Is(err, context.Canceled) {
		t.Errorf("Put canceled during an outage = %v, want context.Canceled", err)
	}
}

// brokenList fails the first listing after it has passed n keys on.
type brokenList struct {
	blob.Store
	n      int
	broken atomic.Bool
}

func (b *brokenList) List(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	i := 0
	return b.Store.List(ctx, prefix, func(info blob.Info) error {
		if i == b.n && b.broken.CompareAndSwap(false, true) {
			return fmt.Errorf("list: %w", blob.ErrInjected)
		}
		i++
		return fn(info)
	})
}

func TestRetryResumesList(t *testing.T) {
	ctx := context.Background()
	mem := blob.NewMemory()
	var want []string
	for i := range 5 {
		key := fmt.Sprintf("k/%d", i)
		want = append(want, key)
		if err := mem.Put(ctx, key, []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	store := &brokenList{Store: mem, n: 3}
	var got []string
	err := newRetry(store, 10*time.Second, newLogBuffer()).List(ctx, "k/", func(info blob.Info) error {
		got = append(got, info.Key)
		return nil
	})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if !store.broken.Load() {
		t.Fatal("the listing did not break; the test tests nothing")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("keys of a listing that broke after 3 (-want +got):\n%s", diff)
	}
	stop := errors.New("stop")
	err = newRetry(mem, 10*time.Second, newLogBuffer()).List(ctx, "k/", func(blob.Info) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("List whose callback fails = %v, want that error", err)
	}
}
