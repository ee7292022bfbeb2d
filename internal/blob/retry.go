package blob

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

// The waits between attempts of one call double from minBackoff up to
// maxBackoff.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// RetryOptions configure a Retry.
type RetryOptions struct {
	// Limit bounds how long one call keeps retrying after its first
	// transient error.
	Limit time.Duration
	// Transient reports whether an error of the store may go away if the
	// call is repeated (see s3.Transient).
	Transient func(error) bool
	Logger    *slog.Logger
}

// Retry wraps a Store whose calls may fail for a while, such as one on
// the network: a call that fails with a transient error is repeated, with
// exponential backoff, until it succeeds, fails for good, or has been
// failing for the limit. The first transient error of an outage is logged
// as a warning, the first call to give up as an error, and the first
// answer after it at info level, so that an outage shows in the log
// whether calls survived it or not. A call that gives up
// returns an error of kind tusk.KindUnavailable. Retry is safe for
// concurrent use.
type Retry struct {
	store Store
	opts  RetryOptions

	down   atomic.Int64 // start of the current outage in Unix nanoseconds; 0 when there is none
	gaveUp atomic.Bool  // a call gave up during the current outage
}

var _ Store = (*Retry)(nil)

// NewRetry returns s with retries as opts say.
func NewRetry(s Store, opts RetryOptions) *Retry {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Retry{store: s, opts: opts}
}

// Get implements Getter.
func (r *Retry) Get(ctx context.Context, key string) ([]byte, error) {
	var data []byte
	err := r.do(ctx, "get", key, func() (err error) {
		data, err = r.store.Get(ctx, key)
		return err
	})
	return data, err
}

// GetRange implements Getter.
func (r *Retry) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	var data []byte
	err := r.do(ctx, "get", key, func() (err error) {
		data, err = r.store.GetRange(ctx, key, off, n)
		return err
	})
	return data, err
}

// Stat implements Getter.
func (r *Retry) Stat(ctx context.Context, key string) (Info, error) {
	var info Info
	err := r.do(ctx, "stat", key, func() (err error) {
		info, err = r.store.Stat(ctx, key)
		return err
	})
	return info, err
}

// Put implements Putter.
func (r *Retry) Put(ctx context.Context, key string, data []byte) error {
	return r.do(ctx, "put", key, func() error { return r.store.Put(ctx, key, data) })
}

// Delete implements Deleter.
func (r *Retry) Delete(ctx context.Context, key string) error {
	return r.do(ctx, "delete", key, func() error { return r.store.Delete(ctx, key) })
}

// List implements Lister. A listing that fails part way resumes after the
// last key it passed to fn, so fn sees every key once.
func (r *Retry) List(ctx context.Context, prefix string, fn func(Info) error) error {
	var last string
	var seen bool
	var fnErr error
	return r.do(ctx, "list", prefix, func() error {
		err := r.store.List(ctx, prefix, func(info Info) error {
			if seen && info.Key <= last {
				return nil
			}
			if err := fn(info); err != nil {
				fnErr = err
				return err
			}
			last, seen = info.Key, true
			return nil
		})
		if fnErr != nil {
			return &permanent{err}
		}
		return err
	})
}

// Close implements Store.
func (r *Retry) Close() error { return r.store.Close() }

// permanent marks an error that is not retried whatever the store says,
// such as one of List's callback.
type permanent struct{ err error }

func (p *permanent) Error() string { return p.err.Error() }
func (p *permanent) Unwrap() error { return p.err }

// do calls f until it succeeds, fails with an error that is not
// transient, or has failed transiently for longer than the limit.
func (r *Retry) do(ctx context.Context, op, key string, f func() error) error {
	var first time.Time
	wait := minBackoff
	for {
		err := f()
		var p *permanent
		if errors.As(err, &p) {
			return p.err
		}
		switch {
		case err == nil:
			r.up()
			return nil
		case ctx.Err() != nil:
			return err
		case !r.opts.Transient(err):
			r.up() // the store answered, if only to refuse
			return err
		}
		now := time.Now()
		if first.IsZero() {
			first = now
			r.fail(op, key, err)
		}
		left := r.opts.Limit - now.Sub(first)
		if left <= 0 {
			if r.gaveUp.CompareAndSwap(false, true) {
				r.opts.Logger.Error("object store still unavailable; calls fail", "op", op, "key", key, "err", err, "limit", r.opts.Limit)
			}
			gaveUp := tusk.Errorf(tusk.KindUnavailable, "object store unavailable for %s, the retry limit", r.opts.Limit)
			return fmt.Errorf("%w: %w", gaveUp, err)
		}
		timer := time.NewTimer(min(wait, left))
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("%w (retrying after: %w)", ctx.Err(), err)
		case <-timer.C:
		}
		wait = min(2*wait, maxBackoff)
	}
}

// fail notes a transient error, logging it if it starts an outage.
func (r *Retry) fail(op, key string, err error) {
	if r.down.CompareAndSwap(0, time.Now().UnixNano()) {
		r.opts.Logger.Warn("object store unavailable; retrying", "op", op, "key", key, "err", err, "limit", r.opts.Limit)
	}
}

// up notes an answer of the store, logging the end of an outage.
func (r *Retry) up() {
	if down := r.down.Load(); down != 0 && r.down.CompareAndSwap(down, 0) {
		r.gaveUp.Store(false)
		r.opts.Logger.Info("object store available again", "outage", time.Since(time.Unix(0, down)).Round(time.Millisecond))
	}
}
