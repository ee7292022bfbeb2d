// Package audit keeps a server's audit log: one JSON line per request
// that changed state and per refused request (who, what, when, result;
// tusk.AuditEvent), in DATA_DIR/audit. The current file is audit.log
// (mode 0600); a line that would take it past Options.MaxSize renames it
// after the time of the rotation (audit-2006-01-02T15-04-05.000000000.log,
// UTC, which sorts by time), and only the newest Options.Backups of those
// are kept. The rotation is this package's own, a few lines: lumberjack, the
// usual library, leaves a goroutine running for every log it ever opened. Lines reach the operating system
// as each request ends, so they survive a crash of the server, not of the
// machine.
package audit
