package cli

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
)

const auditLong = `Print the server's audit log: every request that changed state, or tried
to, and every request that was refused, with who made it, from where, when,
and what came of it (ok, denied or failed, and why), oldest first.

--since takes a duration back from now (90m, 24h) or a time (RFC 3339, such
as 2026-01-02T15:04:05Z, or a date, 2026-01-02, in local time); without it
the whole log is printed. With -o json each event is one JSON object
(NDJSON). The server keeps the log in DATA_DIR/audit, rotated by size.`

func newAuditCommand(g *globals) *cobra.Command {
	var since, output string
	cmd := &cobra.Command{
		Use:   "audit [--since DURATION|TIME]",
		Short: "Print the server's audit log",
		Long:  auditLong,
		Example: `  tusk audit --since 1h
  tusk audit --since 2026-01-02 -o json | jq 'select(.result == "denied")'`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			from, err := parseSince(since, g.now())
			if err != nil {
				return err
			}
			return g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, _ []string) error {
				return printAudit(ctx, c, p, from)
			})(cmd, args)
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "print events since this long ago (24h) or this time (RFC 3339 or a date)")
	addOutputFlag(cmd, &output)
	return cmd
}

// parseSince reads --since: a duration back from now, a time in RFC 3339
// or a date in local time; "" is the zero time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, time.Local); err == nil {
		return t, nil
	}
	return time.Time{}, usagef("--since %q: want a duration such as 24h, a time such as 2026-01-02T15:04:05Z, or a date such as 2026-01-02", s)
}

func printAudit(ctx context.Context, c *client.Client, p printer, since time.Time) error {
	l := newList(p, []string{"TIME", "WHO", "FROM", "REQUEST", "RESULT"}, func(e tusk.AuditEvent) []string {
		return []string{e.Time.Local().Format(time.DateTime), orDash(e.Who), e.Remote, auditRequest(e), auditResult(e)}
	})
	if err := c.Audit(ctx, since, l.add); err != nil {
		return err
	}
	return l.flush()
}

// auditRequest is the method and path of e with what its body named.
func auditRequest(e tusk.AuditEvent) string {
	s := e.Method + " " + e.Path
	if e.Query != "" {
		s += "?" + e.Query
	}
	for _, k := range slices.Sorted(maps.Keys(e.Args)) {
		s += " " + k + "=" + e.Args[k]
	}
	return s
}

// auditResult is e's status and result, and its error if any.
func auditResult(e tusk.AuditEvent) string {
	s := fmt.Sprintf("%d %s", e.Status, e.Result)
	if e.Error != "" {
		s += ": " + strings.TrimSpace(e.Error)
	}
	return s
}
