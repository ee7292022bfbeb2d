package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		cmdline, err := os.ReadFile(dir + "/cmdline")
		if err != nil || !bytes.Contains(cmdline, []byte("\x00worker\x00--pipeline\x00"+pipeline+"\x00")) {
			continue
		}
		if st, ok := readStat(dir); ok {
			own += st.utime + st.stime
			commands += st.cutime + st.cstime
		}
	}
	return own, commands
}

// procStat is what the kernel's /proc/PID/stat says of a process.
type procStat struct {
	comm                         string
	ppid                         int
	utime, stime, cutime, cstime time.Duration
}

// readStat reads the stat file of the process directory dir
// (/proc/PID).
func readStat(dir string) (procStat, bool) {
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	stat, err := os.ReadFile(dir + "/stat")
	lp, rp := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
	if err != nil || lp < 0 || rp < lp {
		return procStat{}, false
	}
	// After the command's name: state, ppid, ... utime is the 12th.
	f := bytes.Fields(stat[rp+1:])
	if len(f) < 15 {
		return procStat{}, false
	}
	st := procStat{comm: string(stat[lp+1 : rp])}
	st.ppid, _ = strconv.Atoi(string(f[1]))
	for k, d := range []*time.Duration{&st.utime, &st.stime, &st.cutime, &st.cstime} {
		v, _ := strconv.ParseInt(string(f[11+k]), 10, 64)
		*d = time.Duration(v) * tick
	}
	return st, true
}

// cpuSplit is the CPU time used so far by what runs pipelines on
// containers, by part.
type cpuSplit struct {
	// self is this process: the in-process server, the node agent and
	// the bench's client.
	self time.Duration
	// children are this process's child processes: the control plane's
	// programs (the node agent talks to the Docker engine over its API,
	// whose CPU is the engine's).
	children time.Duration
	// engine is the Docker engine's processes: dockerd, containerd and
	// the containers' shims that run.
	engine time.Duration
	// containers is every container's, from the engine's cgroup (0 where
	// it cannot be read).
	containers time.Duration
}

func (c cpuSplit) total() time.Duration { return c.self + c.children + c.engine + c.containers }

func (c cpuSplit) sub(d cpuSplit) cpuSplit {
	return cpuSplit{c.self - d.self, c.children - d.children, c.engine - d.engine, c.containers - d.containers}
}

func (c cpuSplit) String() string {
	return fmt.Sprintf("server and node agent %s, child processes (control plane) %s, Docker engine %s, containers %s",
		secs(c.self), secs(c.children), secs(c.engine), secs(c.containers))
}

// sampleCPU reads the CPU time used so far by this process, its children,
// the Docker engine and the containers.
func sampleCPU() cpuSplit {
	c := cpuSplit{self: selfCPU()}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru) == nil {
		c.children = time.Duration(ru.Utime.Nano()) + time.Duration(ru.Stime.Nano())
	}
	self := os.Getpid()
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		st, ok := readStat(dir)
		switch {
		case !ok:
		case st.ppid == self:
			c.children += st.utime + st.stime + st.cutime + st.cstime
		case st.comm == "dockerd" || strings.HasPrefix(st.comm, "containerd"):
			c.engine += st.utime + st.stime
		}
	}
	c.containers = containersCPU()
	return c
}

// containersCPU is the CPU time of every container of the Docker engine,
// removed ones included, from the cgroup its containers are made under
// (the cgroupfs driver's "docker", on cgroup v1 or v2); 0 if there is
// none.
func containersCPU() time.Duration {
	if b, err := os.ReadFile("/sys/fs/cgroup/cpuacct/docker/cpuacct.usage"); err == nil {
		ns, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		return time.Duration(ns)
	}
	b, err := os.ReadFile("/sys/fs/cgroup/docker/cpu.stat")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "usage_usec "); ok {
			us, _ := strconv.ParseInt(v, 10, 64)
			return time.Duration(us) * time.Microsecond
		}
	}
	return 0
}
