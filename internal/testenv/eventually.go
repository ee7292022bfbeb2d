package testenv

import (
	"testing"
	"time"
)

// Eventually polls cond until it holds, failing t with what if it does
// not within timeout: the wait of a test for something another process
// or goroutine does, with a deadline instead of a guess at how long it
// takes.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", timeout, what)
		}
	}
}
