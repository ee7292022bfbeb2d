package meta_test

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// logBuffer is a log destination safe for concurrent writes.
type logBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

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

// proxiedPostgres opens a fresh PostgreSQL database through a proxy that
// can cut it off, with outages of up to limit waited out.
func proxiedPostgres(t *testing.T, limit time.Duration) (*meta.DB, *testenv.Proxy, *logBuffer) {
	t.Helper()
	u, err := url.Parse(testenv.PostgresDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := testenv.StartProxy(t, u.Host)
	u.Host = proxy.Addr()
	db := open(t, u.String())
	logs := &logBuffer{}
	db.RetryOutages(limit, slog.New(slog.NewTextHandler(logs, nil)))
	return db, proxy, logs
}

func createRepo(ctx context.Context, db *meta.DB, name string) error {
	return db.Update(ctx, func(tx *meta.Tx) error {
		return tx.CreateRepo(ctx, tusk.Repo{Project: "default", Name: name, Type: "user", Created: time.Now()})
	})
}

func TestPostgresOutageIsWaitedOut(t *testing.T) {
	ctx := context.Background()
	db, proxy, logs := proxiedPostgres(t, 20*time.Second)
	if err := createRepo(ctx, db, "before"); err != nil {
		t.Fatal(err)
	}
	// The pooled connection breaks, and new ones are refused for 2s.
	proxy.Stop()
	time.AfterFunc(2*time.Second, proxy.Start)
	start := time.Now()
	if err := createRepo(ctx, db, "during"); err != nil {
		t.Fatalf("Update during a 2s outage: %v\nlog:\n%s", err, logs)
	}
	if d := time.Since(start); d < 2*time.Second {
		t.Errorf("Update returned after %s, before the database came back", d)
	}
	err := db.View(ctx, func(tx *meta.Tx) error {
		_, err := tx.Repo(ctx, "default", "during")
		return err
	})
	if err != nil {
		t.Errorf("the repo made during the outage: %v", err)
	}
	out := logs.String()
	if !strings.Contains(out, `level=WARN msg="metadata store unavailable; retrying"`) || !strings.Contains(out, `level=INFO msg="metadata store available again"`) {
		t.Errorf("the outage is not logged:\n%s", out)
	}

	// A restart breaks the pooled connections without a refusal: the
	// next transactions still succeed.
	proxy.Stop()
	proxy.Start()
	for i := range 3 {
		if err := db.View(ctx, func(*meta.Tx) error { return nil }); err != nil {
			t.Errorf("transaction %d after the connections broke: %v", i, err)
		}
	}
}

func TestPostgresOutageLimit(t *testing.T) {
	ctx := context.Background()
	db, proxy, logs := proxiedPostgres(t, time.Second)
	proxy.Stop()
	defer proxy.Start() // for the database's cleanup
	start := time.Now()
	err := db.View(ctx, func(*meta.Tx) error { return nil })
	if d := time.Since(start); d < time.Second {
		t.Errorf("View gave up after %s, before the 1s limit", d)
	}
	if !errors.Is(err, tusk.ErrUnavailable) || !strings.Contains(err.Error(), "metadata store unavailable for 1s, the retry limit") {
		t.Errorf("View with the database down past the limit = %v; want an unavailable error naming the limit", err)
	}
	if !strings.Contains(logs.String(), `level=ERROR msg="metadata store still unavailable; transactions fail"`) {
		t.Errorf("the transaction that gave up is not logged:\n%s", logs)
	}
	// A failure inside the transaction is not retried.
	proxy.Start()
	calls := 0
	boom := errors.New("boom")
	if err := db.Update(ctx, func(*meta.Tx) error { calls++; return boom }); !errors.Is(err, boom) || calls != 1 {
		t.Errorf("Update whose function fails = %v after %d calls; want boom after 1", err, calls)
	}
}
