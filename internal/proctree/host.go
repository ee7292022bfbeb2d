package proctree

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

// A Mode is a way to keep the processes of a tree together.
type Mode string

// The modes, best first.
const (
	// CgroupV2 puts each tree in a cgroup of its own under this process's
	// in the unified hierarchy, which the command starts in (clone3 into
	// the cgroup: Linux 5.7), and ends it with cgroup.kill (5.14; before,
	// by killing its listed processes until none is left). It needs this
	// process's cgroup to be writable: root, or a delegated subtree.
	CgroupV2 Mode = "cgroup v2"
	// CgroupV1 does the same in the version 1 freezer (else pids)
	// hierarchy. The command starts in the tree's cgroup because the
	// thread that starts it enters the cgroup for the moment of the fork.
	CgroupV1 Mode = "cgroup v1"
	// PIDNamespace starts the command as PID 1 of a new PID namespace
	// (root only): when it ends, the kernel kills every other process of
	// the namespace. The command sees /proc of this process's namespace.
	PIDNamespace Mode = "pid namespace"
	// Subreaper makes this process a child subreaper, so that processes
	// orphaned under it are re-parented to it instead of to init, and ends
	// a tree by killing its process group and every descendant of this
	// process, found in /proc. Nothing escapes it while this process
	// lives, a process that calls setsid and forks twice included; but a
	// process started through a third party (a daemon, sudo or ssh to
	// this host) is never a descendant, and processes this one is not
	// allowed to signal (setuid programs) survive. It runs one tree at a
	// time: ending one kills the orphans of any other.
	Subreaper Mode = "subreaper"
	// ProcessGroup, the last resort, only kills the command's process
	// group: a process that calls setsid (or setpgid) escapes it.
	ProcessGroup Mode = "process group"
)

// A Host starts trees in one of the modes.
type Host struct {
	mode Mode
	cg   *cgroup // this process's, under which trees get theirs, in the cgroup modes
	// swept counts the cgroups of ended processes that open removed.
	swept int
	// With recycle, the cgroup of a tree that ended whole waits in free,
	// by name, for the next tree New makes (see Recycle).
	recycle bool
	mu      sync.Mutex
	free    map[string][]*cgroup
}

// seq makes the names of this process's cgroups unique.
var seq atomic.Int64

// Open returns a Host that keeps trees together in the first of modes
// this process can use, else by process groups; without modes it tries
// them all, best first. It logs which mode it picked, and why it passed
// over the ones before.
func Open(log *slog.Logger, modes ...Mode) *Host {
	if len(modes) == 0 {
		modes = []Mode{CgroupV2, CgroupV1, PIDNamespace, Subreaper}
	}
	var passed []any
	for _, m := range modes {
		h, err := open(m)
		if err == nil {
			log.Info("process trees are kept together", append([]any{"by", m}, passed...)...)
			if h.swept > 0 {
				log.Info("removed the cgroups, and killed the processes, of trees of ended processes", "cgroups", h.swept, "under", h.cg.dir)
			}
			return h
		}
		passed = append(passed, slog.String(string(m), err.Error()))
	}
	log.Info("process trees are kept together", append([]any{"by", ProcessGroup}, passed...)...)
	return &Host{mode: ProcessGroup}
}

// open returns a Host of mode m, or an error saying why this process
// cannot use m.
func open(m Mode) (*Host, error) {
	h := &Host{mode: m}
	switch m {
	case CgroupV2, CgroupV1:
		version := 2
		if m == CgroupV1 {
			version = 1
		}
		cg, err := ownCgroup(version)
		if err != nil {
			return nil, err
		}
		probe, err := cg.child(cgroupName("probe"))
		if err != nil {
			return nil, err
		}
		h.swept = cg.sweep()
		defer probe.remove()
		if version == 2 {
			f, err := os.Open(probe.dir)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			if err := probeClone(&syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(f.Fd())}); err != nil {
				return nil, fmt.Errorf("start a process in a cgroup: %w", err)
			}
		}
		h.cg = cg
	case PIDNamespace:
		if err := probeClone(&syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}); err != nil {
			return nil, fmt.Errorf("start a process in a new PID namespace: %w", err)
		}
	case Subreaper:
		if err := becomeSubreaper(); err != nil {
			return nil, err
		}
	case ProcessGroup:
	default:
		return nil, fmt.Errorf("unknown mode %q", m)
	}
	return h, nil
}

// probeClone tries to start a process with attr: the kernel either
// refuses the clone, whose error probeClone returns, or makes the process,
// which then fails to run a program that cannot exist and ends.
func probeClone(attr *syscall.SysProcAttr) error {
	_, err := syscall.ForkExec("/dev/null/tusk-probe", nil, &syscall.ProcAttr{Sys: attr})
	if errors.Is(err, syscall.ENOTDIR) {
		return nil
	}
	return err
}

// Mode returns the Host's mode.
func (h *Host) Mode() Mode { return h.mode }

// New makes a tree, named name where the mode gives trees names (their
// cgroups). Start it, then Wait for it.
func (h *Host) New(name string) (*Tree, error) {
	t := &Tree{h: h}
	if h.cg != nil {
		t.cg = h.take(name)
		if t.cg == nil {
			cg, err := h.cg.child(cgroupName(name))
			if err != nil {
				return nil, err
			}
			t.cg = cg
		}
		t.name = name
	}
	return t, nil
}

// Recycle makes the Host keep, in the cgroup modes, the cgroup of a tree
// whose command ran as another user than this process, not root, and
// ended with nothing of the tree left running nor any cgroup made under
// its own: the next tree of the same name starts in it, which saves
// making and removing a cgroup per tree (a quarter of the CPU a worker
// spends on a datum that runs for a moment). Such a command cannot have
// changed its cgroup (its files belong to this process's user), so the
// next tree finds it as new. Close removes the cgroups kept.
func (h *Host) Recycle() {
	h.mu.Lock()
	h.recycle = true
	h.mu.Unlock()
}

// take returns a cgroup kept for a tree named name, or nil.
func (h *Host) take(name string) *cgroup {
	h.mu.Lock()
	defer h.mu.Unlock()
	free := h.free[name]
	if len(free) == 0 {
		return nil
	}
	cg := free[len(free)-1]
	h.free[name] = free[:len(free)-1]
	return cg
}

// keep keeps cg for the next tree named name, and reports whether it did:
// not after Close.
func (h *Host) keep(name string, cg *cgroup) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.recycle {
		return false
	}
	if h.free == nil {
		h.free = map[string][]*cgroup{}
	}
	h.free[name] = append(h.free[name], cg)
	return true
}

// Close removes the cgroups the Host kept (see Recycle), and keeps no more.
func (h *Host) Close() error {
	h.mu.Lock()
	free := h.free
	h.free, h.recycle = nil, false
	h.mu.Unlock()
	var errs []error
	for _, cgs := range free {
		for _, cg := range cgs {
			errs = append(errs, cg.remove())
		}
	}
	return errors.Join(errs...)
}
