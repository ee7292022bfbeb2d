package testenv

import (
	"syscall"
	"testing"
)

// CPUTime is the CPU time of this process so far, in nanoseconds:
// benchmarks report it because on a shared machine it varies less than
// the time they take.
func CPUTime(tb testing.TB) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
