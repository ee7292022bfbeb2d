package proctree

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// reaper is this process's state as a subreaper: being one is a property
// of the process, not of a Host. A subreaper reaps every child of its
// that ends but the commands of trees (of any Host), which os/exec waits
// for: a process that becomes one must start its children as trees.
var reaper = struct {
	once sync.Once
	err  error // why this process cannot be a subreaper

	// mu serializes the start of tree commands with reaping, so that
	// reapOrphans never reaps a command.
	mu    sync.Mutex
	roots map[int]bool // the commands of live trees
}{roots: map[int]bool{}}

// becomeSubreaper makes this process a child subreaper, which reaps the
// orphans re-parented to it as they end.
func becomeSubreaper() error {
	reaper.once.Do(func() {
		if !procIsOurs() {
			reaper.err = errors.New("/proc shows another PID namespace than this process's, so its descendants cannot be found")
			return
		}
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			reaper.err = fmt.Errorf("become a child subreaper: %w", err)
			return
		}
		ended := make(chan os.Signal, 1)
		signal.Notify(ended, syscall.SIGCHLD)
		go func() {
			for range ended {
				reapOrphans()
			}
		}()
	})
	return reaper.err
}

// reapOrphans reaps the ended children of this process that are not
// commands of trees: orphans re-parented to it.
func reapOrphans() {
	reaper.mu.Lock()
	defer reaper.mu.Unlock()
	all, err := procs()
	if err != nil {
		return
	}
	self := os.Getpid()
	for _, p := range all {
		if p.ppid == self && p.zombie && !reaper.roots[p.pid] {
			unix.Wait4(p.pid, nil, unix.WNOHANG, nil)
		}
	}
}

// killOrphans kills every descendant of this process but the subtrees of
// tree commands other than root's, until none is left, and reaps them.
func killOrphans(root int) error {
	err := settle(func() []int {
		reaper.mu.Lock()
		skip := maps.Clone(reaper.roots)
		reaper.mu.Unlock()
		delete(skip, root)
		all, err := procs()
		if err != nil {
			return nil
		}
		pids := descendants(all, os.Getpid(), skip)
		for _, pid := range pids {
			unix.Kill(pid, unix.SIGKILL)
		}
		return pids
	}, "the tree")
	reapOrphans()
	return err
}
