package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// sse writes server-sent events.
type sse struct {
	w http.ResponseWriter
	f http.Flusher
}

// startSSE sends the headers of an event stream.
func startSSE(w http.ResponseWriter) (*sse, error) {
	f, ok := w.(http.Flusher)
	if !ok {
		return nil, errors.New("the response cannot stream events")
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 3000\n\n")
	f.Flush()
	return &sse{w: w, f: f}, nil
}

// send writes one event with an optional ID and JSON data.
func (s *sse) send(event, id string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", event, err)
	}
	if id != "" {
		fmt.Fprintf(s.w, "id: %s\n", id)
	}
	if _, err := fmt.Fprintf(s.w, "event: %s\ndata: %s\n\n", event, b); err != nil {
		return err
	}
	s.f.Flush()
	return nil
}

// ping writes a comment, which keeps proxies from closing an idle stream
// and tells the server early when the browser has gone.
func (s *sse) ping() error {
	if _, err := fmt.Fprint(s.w, ": ping\n\n"); err != nil {
		return err
	}
	s.f.Flush()
	return nil
}

// feed runs subscribe in a goroutine and hands what it calls back with
// over items, so that a handler can select on them along with its timers.
// The error subscribe ends with comes on done. subscribe must stop when
// ctx ends; items are not delivered after that.
func feed[T any](ctx context.Context, subscribe func(fn func(T) error) error) (items <-chan T, done <-chan error) {
	ch, end := make(chan T), make(chan error, 1)
	go func() {
		end <- subscribe(func(v T) error {
			select {
			case ch <- v:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	return ch, end
}
