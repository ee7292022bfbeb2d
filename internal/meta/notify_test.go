package meta_test

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/testenv"
)

// TestPostgresListenResumes cuts a listener's connection: it listens
// again, says so (notifications sent meanwhile are lost), and gets the
// notifications sent after.
func TestPostgresListenResumes(t *testing.T) {
	dsn := testenv.PostgresDatabase(t)
	sender, listener := open(t, dsn), open(t, dsn)
	ctx, cancel := context.WithCancel(t.Context())
	var resumed atomic.Int32
	var mu sync.Mutex
	var got []string
	var wg sync.WaitGroup
	wg.Go(func() {
		listener.Listen(ctx, "tusk_test", func() { resumed.Add(1) }, func(p string) {
			mu.Lock()
			got = append(got, p)
			mu.Unlock()
		})
	})
	defer func() {
		cancel()
		wg.Wait()
	}()
	received := func(p string) func() bool {
		return func() bool {
			mu.Lock()
			defer mu.Unlock()
			for _, g := range got {
				if g == p {
					return true
				}
			}
			return false
		}
	}
	// Until the listener listens, notifications go nowhere: send one
	// each poll until one arrives.
	testenv.Eventually(t, 10*time.Second, "the listener gets a notification", func() bool {
		if err := sender.Notify(ctx, "tusk_test", "first"); err != nil {
			t.Fatal(err)
		}
		return received("first")()
	})
	if n := resumed.Load(); n != 0 {
		t.Fatalf("resumed %d times before any cut, want 0", n)
	}

	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var cut int
	err = admin.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query = 'LISTEN "tusk_test"'`).Scan(&cut)
	if err != nil || cut != 1 {
		t.Fatalf("cut the listener's connection: %d cut, %v", cut, err)
	}
	testenv.Eventually(t, 10*time.Second, "the listener says it listens again", func() bool { return resumed.Load() == 1 })
	if err := sender.Notify(ctx, "tusk_test", "second"); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, "the listener gets a notification sent after it listens again", received("second"))
}
