package blob

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// ErrInjected is the error that Faulty returns for an injected fault.
var ErrInjected = errors.New("injected fault")

// Op names an operation that Faulty can fail.
type Op string

// The operations that Faulty can fail.
const (
	OpPut Op = "put"
	OpGet Op = "get"
)

// Faulty wraps a Store and makes Put and Get (also of a range) fail on demand, for the tests
// of code that uses a Store. A failed Put writes nothing. The other methods
// pass through. Faulty is safe for concurrent use.
type Faulty struct {
	Store

	mu    sync.Mutex
	after int // Put and Get calls left before they all fail; <0: no limit
	fail  func(op Op, key string) bool
}

// NewFaulty returns a Faulty over s that injects no faults until told to.
func NewFaulty(s Store) *Faulty {
	return &Faulty{Store: s, after: -1}
}

// FailAfter lets the next n Put and Get calls through and fails every later
// one. A negative n lifts the limit.
func (f *Faulty) FailAfter(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.after = n
}

// FailIf makes every Put or Get for which pred returns true fail. A nil pred
// removes the predicate.
func (f *Faulty) FailIf(pred func(op Op, key string) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = pred
}

// Put implements Putter.
func (f *Faulty) Put(ctx context.Context, key string, data []byte) error {
	if f.inject(OpPut, key) {
		return fmt.Errorf("put %s: %w", key, ErrInjected)
	}
	return f.Store.Put(ctx, key, data)
}

// Get implements Getter.
func (f *Faulty) Get(ctx context.Context, key string) ([]byte, error) {
	if f.inject(OpGet, key) {
		return nil, fmt.Errorf("get %s: %w", key, ErrInjected)
	}
	return f.Store.Get(ctx, key)
}

// GetRange implements Getter.
func (f *Faulty) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	if f.inject(OpGet, key) {
		return nil, fmt.Errorf("get %s: %w", key, ErrInjected)
	}
	return f.Store.GetRange(ctx, key, off, n)
}

func (f *Faulty) inject(op Op, key string) bool {
	f.mu.Lock()
	pred := f.fail
	exhausted := f.after == 0
	if f.after > 0 {
		f.after--
	}
	f.mu.Unlock()
	return exhausted || pred != nil && pred(op, key)
}
