package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tuskdata/tusk/internal/tusk"
)

// An outage of PostgreSQL (a restart, a failover, a cut network) breaks
// the pooled connections and refuses new ones until it ends. A
// transaction that failed to get a connection or to begin did nothing, so
// it is tried again, with backoff, for up to the outage limit; one that
// failed later is not, since its commit may have happened.

// The waits between attempts double from minOutageWait up to
// maxOutageWait.
const (
	minOutageWait = 100 * time.Millisecond
	maxOutageWait = 5 * time.Second
)

// RetryOutages makes transactions on PostgreSQL wait out an outage of up
// to limit, logging its start, the first transaction that gives up, and
// its end to log; without it a transaction fails at once. Call it before the store is used.
func (d *DB) RetryOutages(limit time.Duration, log *slog.Logger) {
	d.outageLimit, d.log = limit, log
}

// beginError is the error of a transaction that failed before it began.
type beginError struct{ err error }

func (e *beginError) Error() string { return e.err.Error() }
func (e *beginError) Unwrap() error { return e.err }

// tryThroughOutage is try, repeated while it fails to begin because
// PostgreSQL is unreachable, for up to the outage limit.
func (d *DB) tryThroughOutage(ctx context.Context, opts *sql.TxOptions, m mode, fn func(*Tx) error) error {
	var first time.Time
	wait := time.Duration(0) // a stale pooled connection is replaced at once
	for {
		err := d.try(ctx, opts, m, fn)
		var be *beginError
		if !errors.As(err, &be) || !d.postgres || !unreachable(be.err) {
			d.up()
			return err
		}
		if ctx.Err() != nil || d.outageLimit <= 0 {
			return err
		}
		now := time.Now()
		if first.IsZero() {
			first = now
			d.down(err)
		}
		left := d.outageLimit - now.Sub(first)
		if left <= 0 {
			if d.outageGaveUp.CompareAndSwap(false, true) {
				d.log.Error("metadata store still unavailable; transactions fail", "err", err, "limit", d.outageLimit)
			}
			gaveUp := tusk.Errorf(tusk.KindUnavailable, "metadata store unavailable for %s, the retry limit", d.outageLimit)
			return fmt.Errorf("%w: %w", gaveUp, err)
		}
		timer := time.NewTimer(min(wait, left))
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("%w (retrying after: %w)", ctx.Err(), err)
		case <-timer.C:
		}
		wait = min(max(2*wait, minOutageWait), maxOutageWait)
	}
}

// unreachable reports whether err, from connecting to PostgreSQL or
// beginning a transaction, says that the server could not be reached or
// is starting or stopping, rather than that it refused.
func unreachable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		// Class 08: connection exception; 57P01-03: shutting down,
		// crashed, starting up.
		return strings.HasPrefix(pg.Code, "08") || pg.Code == "57P01" || pg.Code == "57P02" || pg.Code == "57P03"
	}
	return true // no answer from the server: a network error
}

// down notes a failed begin, logging it if it starts an outage.
func (d *DB) down(err error) {
	if d.outage.CompareAndSwap(0, time.Now().UnixNano()) {
		d.log.Warn("metadata store unavailable; retrying", "err", err, "limit", d.outageLimit)
	}
}

// up notes an answer of the database, logging the end of an outage.
func (d *DB) up() {
	if down := d.outage.Load(); down != 0 && d.outage.CompareAndSwap(down, 0) {
		d.outageGaveUp.Store(false)
		d.log.Info("metadata store available again", "outage", time.Since(time.Unix(0, down)).Round(time.Millisecond))
	}
}
