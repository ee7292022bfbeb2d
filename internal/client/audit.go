package client

import (
	"context"
	"net/url"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

// Audit calls fn with each event of the server's audit log at or after
// since (all of them for the zero time), oldest first.
func (c *Client) Audit(ctx context.Context, since time.Time, fn func(tusk.AuditEvent) error) error {
	var q url.Values
	if !since.IsZero() {
		q = url.Values{"since": {since.UTC().Format(time.RFC3339Nano)}}
	}
	return stream(ctx, c, "/v1/audit", q, fn)
}
