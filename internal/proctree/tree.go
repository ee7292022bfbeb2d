package proctree

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

// A Tree is a command and every process it starts.
type Tree struct {
	h    *Host
	cg   *cgroup // the tree's own, in the cgroup modes
	name string  // the name of its cgroup
	cmd  *exec.Cmd
	// mu serializes Kill with the end of Wait, after which the cgroup
	// may be another tree's (ended).
	mu    sync.Mutex
	ended bool
}

// Start starts cmd as the tree's command, in a process group of its own
// and killed if the thread that started it ends (Pdeathsig), whatever
// cmd.SysProcAttr said of those. If Start fails, the tree is done with.
func (t *Tree) Start(cmd *exec.Cmd) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	a := cmd.SysProcAttr
	a.Setpgid, a.Pgid, a.Pdeathsig = true, 0, syscall.SIGKILL
	t.cmd = cmd
	// A subreaper reaps every child that is not a tree's command: hold
	// it off until this one is known.
	reaper.mu.Lock()
	defer reaper.mu.Unlock()
	var err error
	switch t.h.mode {
	case CgroupV2:
		err = t.startV2()
	case CgroupV1:
		err = t.startV1()
	case PIDNamespace:
		a.Cloneflags |= syscall.CLONE_NEWPID
		err = cmd.Start()
	default:
		err = cmd.Start()
	}
	if err != nil {
		t.mu.Lock()
		t.ended = true
		t.mu.Unlock()
		if t.cg != nil {
			t.cg.remove()
		}
		return err
	}
	reaper.roots[cmd.Process.Pid] = true
	return nil
}

// startV2 starts the command right in the tree's cgroup.
func (t *Tree) startV2() error {
	f, err := t.cg.open()
	if err != nil {
		return err
	}
	t.cmd.SysProcAttr.UseCgroupFD, t.cmd.SysProcAttr.CgroupFD = true, int(f.Fd())
	return t.cmd.Start()
}

// startV1 starts the command from a thread that is in the tree's cgroup
// for the moment: a version 1 cgroup holds threads, and a child starts
// in its parent thread's. (Go never clones a thread locked with
// LockOSThread to make another, so no thread of the runtime is left in
// the tree's cgroup.)
func (t *Tree) startV1() error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		tid := syscall.Gettid()
		if err := t.cg.enter(tid); err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		err := t.cmd.Start()
		if back := t.h.cg.enter(tid); back != nil {
			// The thread stays locked and ends with this goroutine,
			// and the command with it (Pdeathsig).
			if err == nil {
				t.cmd.Wait()
			}
			errc <- errors.Join(err, back)
			return
		}
		runtime.UnlockOSThread()
		errc <- err
	}()
	return <-errc
}

// Kill kills every process of the tree now. In the cgroup modes and as a
// subreaper it returns once they have ended; in a PID namespace they end
// with the command, so once Wait returns. It may be called from any
// goroutine, and more than once; once Wait has returned, it does nothing.
func (t *Tree) Kill() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended {
		return nil
	}
	return t.kill()
}

// kill is Kill; t.mu is held.
func (t *Tree) kill() error {
	if t.cmd == nil || t.cmd.Process == nil {
		return nil
	}
	switch t.h.mode {
	case CgroupV2, CgroupV1:
		return t.cg.kill()
	case PIDNamespace:
		t.cmd.Process.Kill()
		return nil
	case Subreaper:
		syscall.Kill(-t.cmd.Process.Pid, syscall.SIGKILL)
		return killOrphans(t.cmd.Process.Pid)
	default:
		syscall.Kill(-t.cmd.Process.Pid, syscall.SIGKILL)
		return nil
	}
}

// Wait waits for the command to end, then kills what is left of the tree
// and removes its cgroup (or keeps it for the next tree, see
// Host.Recycle). It returns the command's error (as exec.Cmd.Wait) or, if
// the command succeeded but processes of the tree survive SIGKILL, an
// error that says so.
func (t *Tree) Wait() error {
	err := t.cmd.Wait()
	reaper.mu.Lock()
	delete(reaper.roots, t.cmd.Process.Pid)
	reaper.mu.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ended = true
	if t.cg != nil && t.recyclable() && t.h.keep(t.name, t.cg) {
		return err
	}
	left := t.kill()
	if t.cg != nil && left == nil {
		left = t.cg.remove()
	}
	if left != nil && (err == nil || errors.Is(err, exec.ErrWaitDelay)) {
		return left
	}
	return err
}

// recyclable reports whether the tree's cgroup may hold the next tree (see
// Host.Recycle): its command ran as a user that cannot have changed it,
// and nothing of the tree is left in it.
func (t *Tree) recyclable() bool {
	c := t.cmd.SysProcAttr.Credential
	return c != nil && c.Uid != 0 && int(c.Uid) != os.Geteuid() && t.cg.empty()
}
