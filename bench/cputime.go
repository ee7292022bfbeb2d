package main

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time, user and system, that this process and its
// waited-for children (the process runner's workers, once stopped, and
// what they ran) have used so far.
func cpuTime() time.Duration {
	var total time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if err := syscall.Getrusage(who, &ru); err != nil {
			continue
		}
		total += time.Duration(ru.Utime.Nano()) + time.Duration(ru.Stime.Nano())
	}
	return total
}
