package meta

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// Servers sharing one PostgreSQL database elect one of them, the leader,
// to run what must run once (the scheduler), and tell which of them are
// alive. Each server holds a connection of its own, its session, for as
// long as it runs: on it, a shared advisory lock named after the server
// says that it is alive, and the exclusive leader lock that it leads. A
// server that dies loses its session, and so its locks, at once: its
// process ended and the kernel closed its socket. One cut off from the
// database stops leading when its session stops answering (pingTimeout),
// and PostgreSQL drops the session, freeing the lock for another, when
// its keepalives give up on the connection, or its server, stalled (a
// stopped process, a paused container), has left it idle for seconds
// (sessionSettings).

const (
	lockLeader = 0x7475736b // "tusk": (lockLeader, 1) is the leader lock
	lockServer = 0x74757376 // "tusv": (lockServer, serverKey(id)) says server id is alive
	lockSchema = 0x74757363 // "tusc": (lockSchema, 1) is held while a server creates or upgrades the schema
	// leaderRetry is how often a server that does not lead tries to, and
	// how often the leader checks that its session still answers.
	leaderRetry = time.Second
	pingTimeout = 3 * time.Second
)

// sessionSettings make PostgreSQL give up on a session whose server no
// longer answers within seconds (a partition, a frozen host) rather than
// the system's default of hours, so that another server may lead. A
// server whose process stalls while its host runs on (stopped, or its
// container paused) still answers keepalives from its kernel, but no
// longer uses its session, which every live server does every
// leaderRetry: PostgreSQL ends a session idle for 5 s.
var sessionSettings = []string{
	"SET tcp_keepalives_idle = 2",
	"SET tcp_keepalives_interval = 1",
	"SET tcp_keepalives_count = 3",
	"SET tcp_user_timeout = 5000",
	"SET idle_session_timeout = 5000",
}

// Lead runs the session of server id until ctx ends: while this server
// leads, it runs lead with a context that ends when the server stops
// leading, and lets go of the lead only once lead returned. A server that
// does not lead tries again every leaderRetry; a session that breaks is
// opened again. If lead returns while the server still leads (it failed),
// the server lets go of the lead and competes for it again. Lead returns
// once ctx ended and lead returned. On SQLite, which one server opens,
// the server leads at once, until ctx ends (lead runs again if it
// returns before).
func (d *DB) Lead(ctx context.Context, id string, log *slog.Logger, lead func(context.Context)) {
	if !d.postgres {
		for ctx.Err() == nil {
			lead(ctx)
			select {
			case <-ctx.Done():
			case <-time.After(leaderRetry):
			}
		}
		return
	}
	for ctx.Err() == nil {
		err := d.session(ctx, id, lead)
		if ctx.Err() != nil {
			return
		}
		log.Warn("this server's session on the metadata store ended; opening it again", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(leaderRetry):
		}
	}
}

// session holds a session for server id until ctx ends or the session
// breaks, and leads on it when it can.
func (d *DB) session(ctx context.Context, id string, lead func(context.Context)) error {
	conn, err := pgx.Connect(ctx, d.dsn)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	// Closing the connection ends the session, and PostgreSQL frees its
	// locks.
	defer conn.Close(context.WithoutCancel(ctx))
	for _, s := range sessionSettings {
		// Best effort: an older PostgreSQL lacks tcp_user_timeout and
		// idle_session_timeout, and a Unix socket has no keepalives.
		conn.Exec(ctx, s)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock_shared($1, $2)", lockServer, serverKey(id)); err != nil {
		return fmt.Errorf("mark the server alive: %w", err)
	}
	t := time.NewTicker(leaderRetry)
	defer t.Stop()
	for {
		var won bool
		if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1, 1)", lockLeader).Scan(&won); err != nil {
			return fmt.Errorf("try to lead: %w", err)
		}
		if won {
			return leadOn(ctx, conn, lead)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// leadOn runs lead while conn, which holds the leader lock, answers.
func leadOn(ctx context.Context, conn *pgx.Conn, lead func(context.Context)) error {
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		lead(lctx)
	}()
	defer func() {
		cancel()
		<-done
	}()
	t := time.NewTicker(leaderRetry)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-done:
			return fmt.Errorf("the leader's work stopped")
		case <-t.C:
		}
		pctx, cancelPing := context.WithTimeout(ctx, pingTimeout)
		err := conn.Ping(pctx)
		cancelPing()
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("the leader's session does not answer: %w", err)
		}
	}
}

// serverKey is the second key of server id's advisory lock. Two servers
// whose keys collide make a dead one of them seem alive, which costs
// only time (its datums wait for their leases to run out), never a lock:
// the lock is shared.
func serverKey(id string) int32 {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int32(h.Sum32() & 0x7fffffff)
}

// Servers is the set of servers alive at one time.
type Servers struct {
	keys map[int32]bool
}

// Alive reports whether server id (by the id it gave Lead) was alive.
func (s Servers) Alive(id string) bool { return s.keys[serverKey(id)] }

// Lost reports whether a server alive in s is not alive in now.
func (s Servers) Lost(now Servers) bool {
	for k := range s.keys {
		if !now.keys[k] {
			return true
		}
	}
	return false
}

// AliveServers returns the servers that hold their session, that is, are
// alive. On SQLite, which one server opens, no other server is ever
// alive.
func (d *DB) AliveServers(ctx context.Context) (Servers, error) {
	alive := Servers{keys: map[int32]bool{}}
	if !d.postgres {
		return alive, nil
	}
	rows, err := d.db.QueryContext(ctx, `SELECT objid::bigint FROM pg_locks
		WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND classid::bigint = $1 AND objsubid = 2 AND granted`, lockServer)
	if err != nil {
		return alive, fmt.Errorf("find the servers alive: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k int64
		if err := rows.Scan(&k); err != nil {
			return alive, fmt.Errorf("find the servers alive: %w", err)
		}
		alive.keys[int32(k)] = true
	}
	if err := rows.Err(); err != nil {
		return alive, fmt.Errorf("find the servers alive: %w", err)
	}
	return alive, nil
}
