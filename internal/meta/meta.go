package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// DB is an open metadata store.
type DB struct {
	db       *sql.DB
	postgres bool
	dsn      string

	// stmts holds the statements prepared so far, by query: SQLite
	// otherwise parses and plans every query on every call.
	stmtMu    sync.Mutex
	stmts     map[string]*sql.Stmt // nil while being prepared
	closed    bool
	preparing sync.WaitGroup // background prepares, which Close waits for

	outageLimit  time.Duration // see RetryOutages
	log          *slog.Logger
	outage       atomic.Int64 // start of the current outage in Unix nanoseconds; 0 when there is none
	outageGaveUp atomic.Bool  // a transaction gave up during the current outage

	stats stats
}

// maxStmts bounds the prepared statements kept; queries past it (only
// ones built with a variable number of placeholders could get there) are
// prepared on each call.
const maxStmts = 256

// Open opens the metadata store at dsn, creating its schema if needed:
// "postgres://…" or "postgresql://…" for PostgreSQL, otherwise a path to an
// SQLite file (optionally "sqlite://" followed by the path).
func Open(ctx context.Context, dsn string) (*DB, error) {
	d := &DB{stmts: map[string]*sql.Stmt{}}
	var err error
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		d.postgres, d.dsn = true, dsn
		d.db, err = sql.Open("pgx", withIdleTransactionTimeout(dsn))
		if err == nil {
			// Idle connections are kept, up to all of them: with
			// database/sql's default of two, a burst of concurrent
			// transactions (an upload's sixteen senders leasing chunks)
			// closed its connections after use and opened new ones, a
			// backend process each, which cost a third of an upload's
			// throughput.
			d.db.SetMaxOpenConns(16)
			d.db.SetMaxIdleConns(16)
		}
	default:
		path := strings.TrimPrefix(dsn, "sqlite://")
		q := url.Values{}
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(FULL)")
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_txlock", "immediate")
		d.db, err = sql.Open("sqlite", "file:"+path+"?"+q.Encode())
		if err == nil {
			// One writer at a time is SQLite's model; readers use WAL snapshots.
			d.db.SetMaxOpenConns(8)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open metadata store: %w", err)
	}
	if err := d.db.PingContext(ctx); err != nil {
		d.db.Close()
		return nil, fmt.Errorf("open metadata store: %w", err)
	}
	if err := d.migrate(ctx); err != nil {
		d.db.Close()
		return nil, err
	}
	return d, nil
}

// idleTransactionTimeout ends a session whose transaction has waited this
// long between statements. A server stalled mid-transaction (paused, cut
// off, its kernel still answering keepalives) otherwise holds the row
// locks it took for ever: claims skip locked datums, so a datum a stalled
// server had locked was never claimed and its job never ended. Tusk's
// transactions run their statements back to back.
const idleTransactionTimeout = 20 * time.Second

// withIdleTransactionTimeout adds idleTransactionTimeout to a
// postgres:// DSN as a session setting, unless the DSN sets it.
func withIdleTransactionTimeout(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn // sql.Open reports it
	}
	q := u.Query()
	if q.Has("idle_in_transaction_session_timeout") {
		return dsn
	}
	q.Set("idle_in_transaction_session_timeout", strconv.FormatInt(idleTransactionTimeout.Milliseconds(), 10))
	u.RawQuery = q.Encode()
	return u.String()
}

// Close closes the store. It first waits for statements being prepared,
// since a prepare holds a connection that could otherwise outlive Close
// (and, on SQLite, create files next to the database after it).
func (d *DB) Close() error {
	d.stmtMu.Lock()
	d.closed = true
	d.stmtMu.Unlock()
	d.preparing.Wait()
	for _, st := range d.stmts {
		if st != nil {
			st.Close()
		}
	}
	return d.db.Close()
}

// prepared returns the statement of q if it is prepared for the store.
// If not, it has it prepared in the background for later calls: the
// caller holds a connection, and preparing for the store may need another,
// which must not wait on the caller.
func (d *DB) prepared(q string) *sql.Stmt {
	d.stmtMu.Lock()
	defer d.stmtMu.Unlock()
	st, ok := d.stmts[q]
	if !ok && !d.closed && len(d.stmts) < maxStmts {
		d.stmts[q] = nil // being prepared
		d.preparing.Go(func() { d.prepare(q) })
	}
	return st
}

func (d *DB) prepare(q string) {
	st, err := d.db.Prepare(q)
	d.stmtMu.Lock()
	defer d.stmtMu.Unlock()
	switch {
	case d.closed:
		if err == nil {
			st.Close()
		}
	case err != nil:
		delete(d.stmts, q) // try again on a later call
	default:
		d.stmts[q] = st
	}
}

// Dialect returns "postgres" or "sqlite".
func (d *DB) Dialect() string {
	if d.postgres {
		return "postgres"
	}
	return "sqlite"
}

// Durability of a transaction.
type mode int

const (
	durable  mode = iota // survives a power loss once committed
	volatile             // survives a process crash, may be lost on power loss
	readOnly
	queue // volatile, and takes rows of a queue (UpdateQueue)
)

// lazy reports whether a transaction of mode m skips the wait for the
// disk.
func (m mode) lazy() bool { return m == volatile || m == queue }

// Update runs fn in a read-write transaction that is durable once it
// returns, retrying it when the database reports a serialization
// conflict or cannot be reached to begin (see RetryOutages). fn must not
// have side effects outside the transaction.
func (d *DB) Update(ctx context.Context, fn func(*Tx) error) error {
	return d.run(ctx, durable, fn)
}

// UpdateVolatile is Update for bookkeeping that may be lost on a power
// loss (never on a crash of the process): it skips the wait for the disk.
// A later durable transaction makes it durable too.
func (d *DB) UpdateVolatile(ctx context.Context, fn func(*Tx) error) error {
	return d.run(ctx, volatile, fn)
}

// UpdateQueue is UpdateVolatile for a transaction that takes or settles
// rows of a queue, as workers claiming datums and reporting them do: on
// PostgreSQL it runs at READ COMMITTED, and locks the rows it means to
// change instead: ClaimableDatums takes rows FOR UPDATE SKIP LOCKED, so
// that concurrent claims take different rows, and DatumsByID reads its
// rows FOR UPDATE. At SERIALIZABLE a few concurrent workers failed each
// other's transactions on false conflicts (predicate locks on shared
// pages) until the retries gave up. What fn reads besides the rows it
// locks may have changed by its commit: it must not decide from it
// anything that another transaction could make wrong meanwhile. On
// SQLite, whose transactions run one at a time, it is UpdateVolatile.
func (d *DB) UpdateQueue(ctx context.Context, fn func(*Tx) error) error {
	return d.run(ctx, queue, fn)
}

// View runs fn in a read-only transaction.
func (d *DB) View(ctx context.Context, fn func(*Tx) error) error {
	return d.run(ctx, readOnly, fn)
}

func (d *DB) run(ctx context.Context, m mode, fn func(*Tx) error) error {
	opts := &sql.TxOptions{ReadOnly: m == readOnly}
	if d.postgres {
		opts.Isolation = sql.LevelSerializable
		if m == queue {
			opts.Isolation = sql.LevelReadCommitted
		}
	}
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		d.stats.count(m, attempt)
		err = d.tryThroughOutage(ctx, opts, m, fn)
		if !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(retryDelay(attempt)):
		}
	}
	return err
}

func (d *DB) try(ctx context.Context, opts *sql.TxOptions, m mode, fn func(*Tx) error) error {
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return &beginError{fmt.Errorf("begin transaction: %w", err)}
	}
	defer conn.Close()
	if !d.postgres {
		// modernc's SQLite driver cannot start a read-only transaction
		// with _txlock=immediate; a write lock for reads is harmless.
		opts = nil
		// The safety level belongs to the connection and cannot change
		// inside a transaction.
		if m != readOnly {
			level := "FULL"
			if m.lazy() {
				level = "NORMAL"
			}
			if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = "+level); err != nil {
				return fmt.Errorf("set durability: %w", err)
			}
		}
	}
	sqlTx, err := conn.BeginTx(ctx, opts)
	if err != nil {
		return &beginError{fmt.Errorf("begin transaction: %w", err)}
	}
	tx := &Tx{tx: sqlTx, d: d, postgres: d.postgres, locking: d.postgres && m == queue}
	if d.postgres && m.lazy() {
		if _, err := sqlTx.ExecContext(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
			sqlTx.Rollback()
			return fmt.Errorf("set durability: %w", err)
		}
	}
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	return nil
}

// retryDelay is how long to wait before attempt+1 of a transaction that
// conflicted: a random time up to 5 ms × 2^attempt, at most 200 ms, so
// that transactions that conflicted with each other do not meet again.
func retryDelay(attempt int) time.Duration {
	ceiling := min(5*time.Millisecond<<min(attempt, 6), 200*time.Millisecond)
	return time.Duration(rand.Int64N(int64(ceiling))) + time.Millisecond
}

func retryable(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "40001" || pg.Code == "40P01"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return false
}

// Tx is a transaction on the store.
type Tx struct {
	tx       *sql.Tx
	d        *DB
	postgres bool
	// locking: the queue's rows are locked where read (UpdateQueue on
	// PostgreSQL).
	locking bool
}

// rebind turns ? placeholders into $N for PostgreSQL.
func (t *Tx) rebind(q string) string {
	if !t.postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (t *Tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	q = t.rebind(q)
	if st := t.d.prepared(q); st != nil {
		return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, q, args...)
}

func (t *Tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	q = t.rebind(q)
	if st := t.d.prepared(q); st != nil {
		return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, q, args...)
}

func (t *Tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	q = t.rebind(q)
	if st := t.d.prepared(q); st != nil {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, q, args...)
}

func isUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
	}
	return false
}

func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

// names returns the one text column of the rows of q.
func (t *Tx) names(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
