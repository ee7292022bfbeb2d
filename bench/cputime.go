package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
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

// selfCPU is the CPU time, user and system, this process has used so far:
// in the datums scenario, its in-process server's (and the bench client's).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano()) + time.Duration(ru.Stime.Nano())
}

// workersCPU is the CPU time that the live workers of pipeline (the
// process runner's `tusk worker` processes) have used so far themselves,
// and that the commands they ran and waited for used, as /proc shows it.
func workersCPU(pipeline string) (own, commands time.Duration) {
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		cmdline, err := os.ReadFile(dir + "/cmdline")
		if err != nil || !bytes.Contains(cmdline, []byte("\x00worker\x00--pipeline\x00"+pipeline+"\x00")) {
			continue
		}
		stat, err := os.ReadFile(dir + "/stat")
		i := bytes.LastIndexByte(stat, ')')
		if err != nil || i < 0 {
			continue
		}
		// After the command's name: state, ppid, ... utime is the 12th.
		f := bytes.Fields(stat[i+1:])
		if len(f) < 15 {
			continue
		}
		n := make([]time.Duration, 4)
		for k := range n {
			v, _ := strconv.ParseInt(string(f[11+k]), 10, 64)
			n[k] = time.Duration(v) * tick
		}
		own += n[0] + n[1]
		commands += n[2] + n[3]
	}
	return own, commands
}
