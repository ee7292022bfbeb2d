package proctree

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/testenv"
)

// TestMain doubles as a worker for the tests of a dying parent: with
// PROCTREE_TEST_MODE set, the test binary starts a tree of that mode
// running the script in PROCTREE_TEST_SCRIPT, prints "ready" once the
// script's processes run, and waits to be killed.
func TestMain(m *testing.M) {
	if mode := os.Getenv("PROCTREE_TEST_MODE"); mode != "" {
		if err := serveTree(Mode(mode), os.Getenv("PROCTREE_TEST_SCRIPT"), os.Getenv("PROCTREE_TEST_READY")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

func serveTree(mode Mode, script, ready string) error {
	h, err := open(mode)
	if err != nil {
		return err
	}
	tree, err := h.New("test")
	if err != nil {
		return err
	}
	if err := tree.Start(exec.Command("sh", "-c", script)); err != nil {
		return err
	}
	if err := waitFile(ready); err != nil {
		return err
	}
	fmt.Println("ready")
	return tree.Wait()
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// waitFile waits for a script to make path, its sign that it is ready.
func waitFile(path string) error {
	for deadline := time.Now().Add(30 * time.Second); !exists(path); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("no %s after 30s: the script never got ready", path)
		}
	}
	return nil
}

// detaching is a script that starts sleeps every way a process can leave
// its parent: in the background, in a new session, in a new session after
// a double fork. Once they all run, the file ready exists.
func detaching(sleep, dir string) (script, ready string) {
	ready = filepath.Join(dir, "ready")
	return fmt.Sprintf(`
		%[1]s 400 &
		setsid %[1]s 400 &
		setsid sh -c '(%[1]s 400 &); touch %[2]s/a' &
		setsid sh -c 'touch %[2]s/b; exec %[1]s 400' &
		until [ -e %[2]s/a ] && [ -e %[2]s/b ]; do %[1]s 0.01; done
		touch %[3]s`, sleep, dir, ready), ready
}

// usable opens a Host of mode m, or skips the test where m is not usable.
func usable(t *testing.T, m Mode) *Host {
	t.Helper()
	h, err := open(m)
	if err != nil {
		t.Skipf("%s is not usable here: %v", m, err)
	}
	return h
}

var containing = []Mode{CgroupV2, CgroupV1, PIDNamespace, Subreaper}

func TestTreeEndsWithItsCommand(t *testing.T) {
	for _, m := range containing {
		t.Run(string(m), func(t *testing.T) {
			h := usable(t, m)
			sleep, marker := testenv.Marked(t)
			script, ready := detaching(sleep, t.TempDir())
			tree, err := h.New("ends")
			if err != nil {
				t.Fatal(err)
			}
			if err := tree.Start(exec.Command("sh", "-c", script)); err != nil {
				t.Fatal(err)
			}
			if err := tree.Wait(); err != nil {
				t.Fatalf("wait: %v", err)
			}
			if !exists(ready) {
				t.Fatal("the script ended before its processes ran")
			}
			if left := testenv.Running(marker); len(left) > 0 {
				t.Errorf("%d processes of the tree outlived it: %v", len(left), left)
			}
			if tree.cg != nil && exists(tree.cg.dir) {
				t.Errorf("the tree's cgroup %s is still there", tree.cg.dir)
			}
		})
	}
}

// TestProcessGroupLeavesSessions shows what the last resort cannot do, and
// that the test above can see an escape.
func TestProcessGroupLeavesSessions(t *testing.T) {
	h := usable(t, ProcessGroup)
	sleep, marker := testenv.Marked(t)
	script, _ := detaching(sleep, t.TempDir())
	tree, _ := h.New("group")
	if err := tree.Start(exec.Command("sh", "-c", script)); err != nil {
		t.Fatal(err)
	}
	if err := tree.Wait(); err != nil {
		t.Fatal(err)
	}
	// The shell that double-forked may not have exited yet: at least 3.
	if left := testenv.Running(marker); len(left) < 3 {
		t.Errorf("%d processes outlived a process group tree, want the 3 in new sessions", len(left))
	}
}

func TestKillWhileRunning(t *testing.T) {
	for _, m := range containing {
		t.Run(string(m), func(t *testing.T) {
			h := usable(t, m)
			sleep, marker := testenv.Marked(t)
			script, ready := detaching(sleep, t.TempDir())
			tree, err := h.New("killed")
			if err != nil {
				t.Fatal(err)
			}
			if err := tree.Start(exec.Command("sh", "-c", script+"\nexec "+sleep+" 400")); err != nil {
				t.Fatal(err)
			}
			if err := waitFile(ready); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- tree.Wait() }()
			if err := tree.Kill(); err != nil {
				t.Fatalf("kill: %v", err)
			}
			if err := <-done; err == nil || !strings.Contains(err.Error(), "killed") {
				t.Errorf("wait after kill = %v, want the command killed", err)
			}
			if left := testenv.Running(marker); len(left) > 0 {
				t.Errorf("%d processes of the tree outlived Kill: %v", len(left), left)
			}
		})
	}
}

// TestParentDies kills the process that runs a tree, as a worker can be
// killed: in a cgroup mode, the tree the parent runs in (the runner's)
// ends everything when it waits; in a PID namespace, the tree's command
// dies with its parent, and its namespace with it.
func TestParentDies(t *testing.T) {
	for _, m := range []Mode{CgroupV2, CgroupV1, PIDNamespace} {
		t.Run(string(m), func(t *testing.T) {
			usable(t, m)
			sleep, marker := testenv.Marked(t)
			script, ready := detaching(sleep, t.TempDir())
			outer := usable(t, m)
			if m == PIDNamespace {
				outer = usable(t, ProcessGroup)
			}
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), "PROCTREE_TEST_MODE="+string(m), "PROCTREE_TEST_SCRIPT="+script+"\nexec "+sleep+" 400", "PROCTREE_TEST_READY="+ready)
			cmd.Stderr = os.Stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			worker, err := outer.New("worker")
			if err != nil {
				t.Fatal(err)
			}
			if err := worker.Start(cmd); err != nil {
				t.Fatal(err)
			}
			line, _ := bufio.NewReader(out).ReadString('\n')
			if line != "ready\n" {
				worker.Kill()
				worker.Wait()
				t.Fatalf("the worker said %q, want ready", line)
			}
			go io.Copy(io.Discard, out)
			// The script says it is ready before its last exec.
			testenv.Eventually(t, 10*time.Second, "at least 5 processes of the tree run",
				func() bool { return len(testenv.Running(marker)) >= 5 })
			syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
			worker.Wait()
			// Pdeathsig is sent as the parent ends, but the kernel kills
			// the rest of a namespace as its init ends, a moment later.
			for deadline := time.Now().Add(10 * time.Second); len(testenv.Running(marker)) > 0 && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			if left := testenv.Running(marker); len(left) > 0 {
				t.Errorf("%d processes outlived the worker that ran them: %v", len(left), left)
			}
		})
	}
}

func TestOpenFallsBack(t *testing.T) {
	h := Open(slog.New(slog.NewTextHandler(io.Discard, nil)), "no such mode")
	if h.Mode() != ProcessGroup {
		t.Errorf("Open with no usable mode = %s, want %s", h.Mode(), ProcessGroup)
	}
}

func TestParseStat(t *testing.T) {
	p, ok := parseStat(42, []byte("42 (a (weird) name) Z 7 42 42 0 -1"))
	if !ok || p.pid != 42 || p.ppid != 7 || !p.zombie {
		t.Errorf("parseStat = %+v, %v; want pid 42, ppid 7, a zombie", p, ok)
	}
	if _, ok := parseStat(1, []byte("1 (init")); ok {
		t.Error("parseStat of a cut line succeeded")
	}
}

func TestDescendants(t *testing.T) {
	all := []proc{{pid: 10, ppid: 1}, {pid: 11, ppid: 10}, {pid: 12, ppid: 11}, {pid: 13, ppid: 10, zombie: true},
		{pid: 14, ppid: 10}, {pid: 15, ppid: 14}, {pid: 20, ppid: 1}}
	got := descendants(all, 10, map[int]bool{14: true})
	if fmt.Sprint(got) != "[11 12]" {
		t.Errorf("descendants = %v, want [11 12]: 13 is a zombie, 14 and 15 are skipped", got)
	}
}

func TestCgroupPaths(t *testing.T) {
	own := "12:pids:/docker/abc\n6:freezer:/a/b\n1:name=systemd:/x\n0::/user.slice/u.service\n"
	mounts := `25 30 0:22 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate
40 25 0:35 / /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer
41 25 0:36 /docker/abc /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids
42 25 0:37 /a /mnt/with\040space rw - cgroup cgroup rw,freezer
`
	for _, tt := range []struct {
		version int
		ctrl    string
		want    string
	}{{2, "", "/sys/fs/cgroup/user.slice/u.service"}, {1, "freezer", "/sys/fs/cgroup/freezer/a/b"}, {1, "pids", "/sys/fs/cgroup/pids"}} {
		path, ok := cgroupPath(own, tt.ctrl)
		if !ok {
			t.Errorf("no cgroup of %q in %q", tt.ctrl, own)
			continue
		}
		cg, err := cgroupDir(tt.version, mounts, path, tt.ctrl)
		if err != nil || cg.dir != tt.want {
			t.Errorf("cgroup v%d %s: %+v, %v; want %s", tt.version, tt.ctrl, cg, err, tt.want)
		}
	}
	if _, err := cgroupDir(1, mounts, "/elsewhere", "pids"); err == nil {
		t.Error("found a cgroup outside the part of the hierarchy mounted")
	}
	if got := unescape(`/mnt/with\040space`); got != "/mnt/with space" {
		t.Errorf("unescape = %q", got)
	}
}

// TestSubreaperLeavesTreesAlone: a subreaper reaps the orphans that end,
// but never the command of a tree, of any mode, which os/exec waits for.
func TestSubreaperLeavesTreesAlone(t *testing.T) {
	usable(t, Subreaper)
	h := usable(t, ProcessGroup)
	// Two loops at once, so that the reaper runs while commands end.
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			for range 100 {
				tree, _ := h.New("quick")
				if err := tree.Start(exec.Command("true")); err != nil {
					errs <- err
					return
				}
				if err := tree.Wait(); err != nil {
					errs <- fmt.Errorf("wait for a tree's command in a subreaper: %w", err)
					return
				}
			}
			errs <- nil
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestOpenSweepsCgroupsOfEndedProcesses: the cgroups a killed process left
// (a server's, of its workers) go, with what runs in them, when a Host is
// opened next; those of live processes stay.
func TestOpenSweepsCgroupsOfEndedProcesses(t *testing.T) {
	for _, m := range []Mode{CgroupV2, CgroupV1} {
		t.Run(string(m), func(t *testing.T) {
			h := usable(t, m)
			sleep, marker := testenv.Marked(t)
			// This process's pid, but another start: a process that ended.
			stale, err := h.cg.child(fmt.Sprintf("tusk-%d-%d-1-worker", os.Getpid(), startTime(os.Getpid())+1))
			if err != nil {
				t.Fatal(err)
			}
			live, err := h.New("live")
			if err != nil {
				t.Fatal(err)
			}
			defer live.cg.remove()
			// A tree, as every child of a subreaper (an earlier test
			// made this process one) must be.
			cmd := exec.Command(sleep, "400")
			sleeper, _ := usable(t, ProcessGroup).New("sleeper")
			if err := sleeper.Start(cmd); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(stale.dir, "cgroup.procs"), []byte(strconv.Itoa(cmd.Process.Pid)), 0); err != nil {
				t.Fatal(err)
			}
			if h2 := usable(t, m); h2.swept < 1 {
				t.Errorf("opening swept %d cgroups, want the stale one", h2.swept)
			}
			if err := sleeper.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
				t.Errorf("the process in the stale cgroup: %v, want it killed", err)
			}
			if exists(stale.dir) || !exists(live.cg.dir) {
				t.Errorf("stale cgroup there: %v, live one there: %v; want only the live one", exists(stale.dir), exists(live.cg.dir))
			}
			if left := testenv.Running(marker); len(left) > 0 {
				t.Errorf("%d processes left", len(left))
			}
		})
	}
}

// TestNestedCgroupsRemoved: a tree whose command made cgroups of its own
// under the tree's (as a root command may) leaves none of them behind.
func TestNestedCgroupsRemoved(t *testing.T) {
	for _, m := range []Mode{CgroupV2, CgroupV1} {
		t.Run(string(m), func(t *testing.T) {
			h := usable(t, m)
			tree, err := h.New("nested")
			if err != nil {
				t.Fatal(err)
			}
			inner := filepath.Join(tree.cg.dir, "a", "b")
			if err := os.MkdirAll(inner, 0o755); err != nil {
				t.Skipf("cannot make cgroups under the tree's: %v", err)
			}
			if err := tree.Start(exec.Command("sh", "-c", ":")); err != nil {
				t.Fatal(err)
			}
			if err := tree.Wait(); err != nil {
				t.Fatalf("wait: %v", err)
			}
			if exists(tree.cg.dir) {
				t.Errorf("the tree's cgroup %s is still there", tree.cg.dir)
			}
		})
	}
}

// TestRecycledCgroup: with Recycle, a tree whose command ran as another
// user and left nothing running leaves its cgroup to the next tree; one
// that left processes behind has them killed and its cgroup removed, and a
// late Kill of an ended tree spares the next tree in its cgroup. Close
// removes the cgroups kept.
func TestRecycledCgroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to run commands as another user")
	}
	for _, m := range []Mode{CgroupV2, CgroupV1} {
		t.Run(string(m), func(t *testing.T) {
			h := usable(t, m)
			h.Recycle()
			defer h.Close()
			sleep, marker := testenv.Marked(t)
			asNobody := func(script string) *exec.Cmd {
				cmd := exec.Command("sh", "-c", script)
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
				return cmd
			}
			run := func(script string) *Tree {
				t.Helper()
				tree, err := h.New("datum")
				if err != nil {
					t.Fatal(err)
				}
				if err := tree.Start(asNobody(script)); err != nil {
					t.Fatal(err)
				}
				if err := tree.Wait(); err != nil {
					t.Fatalf("wait: %v", err)
				}
				return tree
			}
			first := run(":")
			if !exists(first.cg.dir) {
				t.Fatalf("the cgroup %s of a tree that ended whole is gone", first.cg.dir)
			}
			leaver := run(sleep + " 400 & " + sleep + " 400 &")
			if leaver.cg != first.cg {
				t.Fatalf("the next tree got cgroup %s, want the recycled %s", leaver.cg.dir, first.cg.dir)
			}
			if left := testenv.Running(marker); len(left) > 0 {
				t.Errorf("%d processes outlived a tree in a recycled cgroup: %v", len(left), left)
			}
			if exists(leaver.cg.dir) {
				t.Errorf("the cgroup %s of a tree that left processes is still there", leaver.cg.dir)
			}
			ended := run(":")
			next, err := h.New("datum")
			if err != nil {
				t.Fatal(err)
			}
			if err := next.Start(asNobody("exec " + sleep + " 400")); err != nil {
				t.Fatal(err)
			}
			testenv.Eventually(t, 10*time.Second, "the next tree's command runs",
				func() bool { return len(testenv.Running(marker)) == 1 })
			if err := ended.Kill(); err != nil {
				t.Fatalf("kill of an ended tree: %v", err)
			}
			if left := testenv.Running(marker); len(left) != 1 || next.cg != ended.cg {
				t.Errorf("a Kill of an ended tree left %d processes of the next tree in its cgroup (the same: %v), want 1",
					len(left), next.cg == ended.cg)
			}
			next.Kill()
			next.Wait()
			kept := run(":")
			if err := h.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			if exists(kept.cg.dir) {
				t.Errorf("the kept cgroup %s outlived Close", kept.cg.dir)
			}
		})
	}
}
