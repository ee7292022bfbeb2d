package meta

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Notify sends payload to every listener of channel on other processes
// sharing this PostgreSQL database. On SQLite, which only one process
// uses, it does nothing.
func (d *DB) Notify(ctx context.Context, channel, payload string) error {
	if !d.postgres {
		return nil
	}
	if _, err := d.db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, channel, payload); err != nil {
		return fmt.Errorf("notify %s: %w", channel, err)
	}
	return nil
}

// Listen calls fn with every payload sent to channel by Notify until ctx
// ends, reconnecting after errors. Payloads sent while it reconnects are
// lost: it calls resumed, if not nil, each time it listens again after
// the first time, so that the listener may look again at what it follows.
// On SQLite it returns at once.
func (d *DB) Listen(ctx context.Context, channel string, resumed func(), fn func(payload string)) {
	if !d.postgres {
		return
	}
	listened := false
	for ctx.Err() == nil {
		if err := d.listenOnce(ctx, channel, func() {
			if listened && resumed != nil {
				resumed()
			}
			listened = true
		}, fn); err != nil && ctx.Err() == nil {
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

func (d *DB) listenOnce(ctx context.Context, channel string, listening func(), fn func(string)) error {
	conn, err := pgx.Connect(ctx, d.dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	listening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		fn(n.Payload)
	}
}
