package meta_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/testenv"
)

// leader runs meta.Lead for one server in the background and tells
// whether it leads now.
type leader struct {
	mu      sync.Mutex
	leading bool
	terms   int // how many times it began to lead
	stop    context.CancelFunc
	done    chan struct{}
}

func startLeader(t *testing.T, db *meta.DB, id string) *leader {
	ctx, cancel := context.WithCancel(context.Background())
	l := &leader{stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		db.Lead(ctx, id, slog.New(slog.NewTextHandler(io.Discard, nil)), func(lctx context.Context) {
			l.mu.Lock()
			l.leading = true
			l.terms++
			l.mu.Unlock()
			<-lctx.Done()
			l.mu.Lock()
			l.leading = false
			l.mu.Unlock()
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-l.done
	})
	return l
}

func (l *leader) leads() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.leading
}

func (l *leader) ended() {
	l.stop()
	<-l.done
}

func alive(t *testing.T, db *meta.DB, id string) bool {
	t.Helper()
	is, err := db.AliveServers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return is.Alive(id)
}

// TestPostgresLead runs three servers on one database: exactly one leads
// at a time, each is alive while it runs, and when the leader stops, or
// its session is cut as a crash would cut it, another leads.
func TestPostgresLead(t *testing.T) {
	dsn := testenv.PostgresDatabase(t)
	dbs := []*meta.DB{open(t, dsn), open(t, dsn), open(t, dsn)}
	ids := []string{"server-a", "server-b", "server-c"}
	ls := make([]*leader, len(dbs))
	for i := range dbs {
		ls[i] = startLeader(t, dbs[i], ids[i])
	}
	leaderOf := func(among []int) int {
		n, who := 0, -1
		for _, i := range among {
			if ls[i].leads() {
				n, who = n+1, i
			}
		}
		if n > 1 {
			t.Fatalf("%d servers lead at once", n)
		}
		return who
	}
	all := []int{0, 1, 2}
	testenv.Eventually(t, 10*time.Second, "a server leads", func() bool { return leaderOf(all) >= 0 })
	testenv.Eventually(t, 10*time.Second, "every server is alive", func() bool {
		return alive(t, dbs[0], ids[0]) && alive(t, dbs[0], ids[1]) && alive(t, dbs[0], ids[2])
	})
	if alive(t, dbs[0], "server-never-started") {
		t.Error("a server that never started is alive")
	}

	// The leader stops: another leads, and the stopped one is not alive.
	first := leaderOf(all)
	before, err := dbs[0].AliveServers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ls[first].ended()
	rest := []int{}
	for _, i := range all {
		if i != first {
			rest = append(rest, i)
		}
	}
	testenv.Eventually(t, 10*time.Second, "another server leads after the leader stopped", func() bool { return leaderOf(rest) >= 0 })
	if alive(t, dbs[rest[0]], ids[first]) {
		t.Errorf("%s is alive after it stopped", ids[first])
	}
	after, err := dbs[rest[0]].AliveServers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !before.Lost(after) || after.Lost(before) {
		t.Errorf("from 3 servers alive to 2: lost = %v, and back = %v; want true, false", before.Lost(after), after.Lost(before))
	}

	// The new leader's session is cut, as by a crash: it stops leading,
	// and the last one leads.
	second := leaderOf(rest)
	ls[second].mu.Lock()
	terms := ls[second].terms
	ls[second].mu.Unlock()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var cut int
	// Of this test's database: the servers of other tests running at
	// the same time on other databases hold leader locks too.
	err = admin.QueryRowContext(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND classid::bigint = $1 AND objid::bigint = 1 AND granted`, meta.LockLeader).Scan(&cut)
	if err != nil || cut != 1 {
		t.Fatalf("cut the leader's session: %d cut, %v", cut, err)
	}
	testenv.Eventually(t, 10*time.Second, "the leader whose session was cut stops leading", func() bool {
		ls[second].mu.Lock()
		defer ls[second].mu.Unlock()
		return !ls[second].leading || ls[second].terms > terms
	})
	testenv.Eventually(t, 10*time.Second, "a server leads after the leader's session was cut", func() bool { return leaderOf(rest) >= 0 })
}

// TestSQLiteLead: the one server on SQLite leads at once.
func TestSQLiteLead(t *testing.T) {
	db := open(t, sqliteDSN(t))
	l := startLeader(t, db, "only")
	testenv.Eventually(t, 10*time.Second, "the server leads", l.leads)
	if alive(t, db, "other") {
		t.Error("another server is alive on SQLite")
	}
}

// TestServersCreateTheSchemaTogether: servers started at once on an empty
// PostgreSQL database all open it (they took turns creating the schema,
// where they raced on pg_type's unique index before).
func TestServersCreateTheSchemaTogether(t *testing.T) {
	dsn := testenv.PostgresDatabase(t)
	const n = 4
	errs := make(chan error, n)
	for range n {
		go func() {
			db, err := meta.Open(t.Context(), dsn)
			if err == nil {
				db.Close()
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("a server opening the new database: %v", err)
		}
	}
}

// TestStalledTransactionsEnd: the store's sessions end a transaction left
// idle, so that a stalled server's row locks do not hold its datums for
// ever (claims skip locked rows).
func TestStalledTransactionsEnd(t *testing.T) {
	store, err := meta.Open(t.Context(), testenv.PostgresDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if got, err := store.Setting("idle_in_transaction_session_timeout"); err != nil || got != "20s" {
		t.Errorf("idle_in_transaction_session_timeout = %q, %v; want 20s", got, err)
	}
}
