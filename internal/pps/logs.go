package pps

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// maxLogLines bounds the lines kept per datum (and per worker outside
// datums); later lines are dropped, with one line saying so. The bytes
// kept are bounded too, by Limits.MaxDatumLogBytes.
const maxLogLines = 10000

// A logEnd is where the log of a datum ends: the sequence number of its
// next line, and the bytes stored so far.
type logEnd struct {
	seq, size int64
}

// AppendLogs stores log lines of a pipeline's workers. A datum's log is
// cut at maxLogLines lines or Limits.MaxDatumLogBytes bytes, whichever
// comes first, with a last line that says so.
func (a *API) AppendLogs(ctx context.Context, lines []tusk.LogLine) error {
	if len(lines) == 0 {
		return nil
	}
	pipeline := lines[0].Pipeline
	err := a.db.UpdateVolatile(ctx, func(tx *meta.Tx) error {
		for _, l := range lines {
			// Where a log ends is remembered, but another server may have
			// appended to it since (the workers of a pipeline may reach
			// several): then the line's place is taken, and it goes
			// where the stored log ends.
			for fresh := false; ; fresh = true {
				placed, err := a.appendLog(ctx, tx, l, fresh)
				if err != nil {
					return err
				}
				if placed || fresh {
					break
				}
			}
		}
		return nil
	})
	if err != nil {
		a.mu.Lock()
		a.logEnd = map[string]logEnd{}
		a.mu.Unlock()
		return err
	}
	a.sched.SignalLogs(pipeline)
	return nil
}

// appendLog stores line l at the end of its log, as remembered unless
// fresh, and reports whether its place was free (or the log is full).
func (a *API) appendLog(ctx context.Context, tx *meta.Tx, l tusk.LogLine, fresh bool) (bool, error) {
	key := l.Pipeline + "\x00" + l.Job + "\x00" + l.Datum
	a.mu.Lock()
	end, ok := a.logEnd[key]
	a.mu.Unlock()
	if !ok || fresh {
		last, size, err := tx.LogSize(ctx, project, l.Pipeline, l.Job, l.Datum)
		if err != nil {
			return false, err
		}
		end = logEnd{seq: last + 1, size: size}
	}
	if end.seq > maxLogLines || end.size >= a.limits.MaxDatumLogBytes {
		return true, nil
	}
	b, err := json.Marshal(l)
	if err != nil {
		return false, err
	}
	next := logEnd{seq: end.seq + 1, size: end.size + int64(len(b))}
	cut := ""
	switch {
	case end.seq == maxLogLines:
		cut = fmt.Sprintf("(log truncated: more than %d lines)", maxLogLines)
	case next.size > a.limits.MaxDatumLogBytes:
		cut = fmt.Sprintf("(log truncated: more than %d bytes; start the server with a higher --max-datum-log-bytes to keep more)",
			a.limits.MaxDatumLogBytes)
		next.size = a.limits.MaxDatumLogBytes // nothing more is kept
	}
	if cut != "" {
		l.Message = cut
		if b, err = json.Marshal(l); err != nil {
			return false, err
		}
	}
	placed, err := tx.AppendLog(ctx, project, l.Pipeline, l.Job, l.Datum, end.seq, b)
	if err != nil || !placed {
		return false, err
	}
	a.mu.Lock()
	a.logEnd[key] = next
	a.mu.Unlock()
	return true, nil
}

// Logs returns the stored log lines of a pipeline, of one job and datum
// when given.
func (a *API) Logs(ctx context.Context, pipeline, job, datumID string) ([]tusk.LogLine, error) {
	var out []tusk.LogLine
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		if _, err := LoadPipeline(ctx, tx, pipeline); err != nil {
			return err
		}
		docs, err := tx.Logs(ctx, project, pipeline, job, datumID)
		if err != nil {
			return err
		}
		for _, d := range docs {
			var l tusk.LogLine
			if err := json.Unmarshal(d, &l); err != nil {
				return err
			}
			out = append(out, l)
		}
		return nil
	})
	return out, err
}

// LogSignal returns a channel that is closed when a pipeline gets new log
// lines, for following logs without polling.
func (a *API) LogSignal(pipeline string) <-chan struct{} { return a.sched.LogsChanged(pipeline) }
