package proctree

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// A proc is a process as /proc shows it.
type proc struct {
	pid, ppid int
	zombie    bool // it has ended and waits for its parent to reap it
}

// procs lists the processes /proc shows.
func procs() ([]proc, error) {
	d, err := os.Open("/proc")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("list /proc: %w", err)
	}
	out := make([]proc, 0, len(names))
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + name + "/stat")
		if err != nil {
			continue // ended since
		}
		if p, ok := parseStat(pid, stat); ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// parseStat reads the state and parent of /proc/<pid>/stat: "pid (comm)
// state ppid …", where comm may hold spaces and parentheses.
func parseStat(pid int, stat []byte) (proc, bool) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return proc{}, false
	}
	f := bytes.Fields(stat[i+1:])
	if len(f) < 2 {
		return proc{}, false
	}
	ppid, err := strconv.Atoi(string(f[1]))
	if err != nil {
		return proc{}, false
	}
	return proc{pid: pid, ppid: ppid, zombie: string(f[0]) == "Z" || string(f[0]) == "X"}, true
}

// descendants returns the live (not zombie) descendants of pid, leaving
// out the subtrees of the processes in skip.
func descendants(all []proc, pid int, skip map[int]bool) []int {
	children := map[int][]proc{}
	for _, p := range all {
		children[p.ppid] = append(children[p.ppid], p)
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		next := queue[0]
		queue = queue[1:]
		for _, c := range children[next] {
			if skip[c.pid] {
				continue
			}
			if !c.zombie {
				out = append(out, c.pid)
			}
			queue = append(queue, c.pid)
		}
	}
	return out
}

// procIsOurs reports whether /proc shows this process's PID namespace:
// in a new PID namespace without its own /proc mount it shows the
// parent's, whose process numbers mean other processes.
func procIsOurs() bool {
	self, err := os.Readlink("/proc/self")
	return err == nil && self == strconv.Itoa(os.Getpid())
}
