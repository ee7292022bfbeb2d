package pps

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// maxLogLines bounds the lines kept per datum (and per worker outside
// datums); later lines are dropped, with one line saying so.
const maxLogLines = 10000

// AppendLogs stores log lines of a pipeline's workers.
func (a *API) AppendLogs(ctx context.Context, lines []tusk.LogLine) error {
	if len(lines) == 0 {
		return nil
	}
	pipeline := lines[0].Pipeline
	err := a.db.UpdateVolatile(ctx, func(tx *meta.Tx) error {
		for _, l := range lines {
			key := l.Pipeline + "\x00" + l.Job + "\x00" + l.Datum
			a.mu.Lock()
			seq, ok := a.logSeq[key]
			a.mu.Unlock()
			if !ok {
				last, err := tx.LastLogSeq(ctx, project, l.Pipeline, l.Job, l.Datum)
				if err != nil {
					return err
				}
				seq = last + 1
			}
			switch {
			case seq > maxLogLines:
				continue
			case seq == maxLogLines:
				l.Message = fmt.Sprintf("(log truncated: more than %d lines)", maxLogLines)
			}
			b, err := json.Marshal(l)
			if err != nil {
				return err
			}
			if err := tx.AppendLog(ctx, project, l.Pipeline, l.Job, l.Datum, seq, b); err != nil {
				return err
			}
			a.mu.Lock()
			a.logSeq[key] = seq + 1
			a.mu.Unlock()
		}
		return nil
	})
	if err != nil {
		a.mu.Lock()
		a.logSeq = map[string]int64{}
		a.mu.Unlock()
		return err
	}
	a.signalLogs(pipeline)
	return nil
}

// Logs returns the stored log lines of a pipeline, of one job and datum
// when given.
func (a *API) Logs(ctx context.Context, pipeline, job, datumID string) ([]tusk.LogLine, error) {
	var out []tusk.LogLine
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		if _, err := loadPipeline(ctx, tx, pipeline); err != nil {
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
func (a *API) LogSignal(pipeline string) <-chan struct{} { return a.logs.wait(pipeline) }

func (a *API) signalLogs(pipeline string) { a.logs.fire(pipeline) }
