package worker

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
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
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/proctree"
	"github.com/tuskdata/tusk/internal/testenv"
)

// TestMain doubles as the worker RunAsInit starts: with WORKER_TEST_SCRIPT
// set, the test binary runs that script as a datum's command would be
// (in a process group of its own) and waits for it.
func TestMain(m *testing.M) {
	if v := os.Getenv("WORKER_TEST_SUBREAPER"); v != "" {
		fmt.Println(subreaperAfterRun(v == "yes"))
		return
	}
	if script := os.Getenv("WORKER_TEST_SCRIPT"); script != "" && os.Getenv(initChildEnv) != "" {
		cmd := exec.Command("sh", "-c", script)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := cmd.Run(); err != nil {
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

// subreaperAfterRun runs a worker with Config.Subreaper set to allow, in
// a process where neither cgroups nor PID namespaces are usable to it as
// an unprivileged process is, and says whether it made this process a
// child subreaper.
func subreaperAfterRun(allow bool) string {
	if os.Geteuid() == 0 {
		if err := syscall.Setgid(65534); err != nil {
			return err.Error()
		}
		if err := syscall.Setuid(65534); err != nil {
			return err.Error()
		}
	}
	c, err := client.New("unix:///nonexistent/tusk.sock")
	if err != nil {
		return err.Error()
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir, err := os.MkdirTemp("/tmp", "tusk-worker-test-")
	if err != nil {
		return err.Error()
	}
	defer os.RemoveAll(dir)
	if err := Run(ctx, Config{Client: c, Pipeline: "p", ID: "w", Root: dir, Subreaper: allow,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}); err != nil {
		return err.Error()
	}
	var is int32
	if err := unix.Prctl(unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&is)), 0, 0, 0); err != nil {
		return err.Error()
	}
	return strconv.Itoa(int(is))
}

// TestSubreaperOnlyWhenAllowed: a worker run inside another program (a
// test's, say) leaves that process's orphans alone; `tusk worker`, a
// process of its own, may reap them. Run unprivileged, both workers fall
// back past cgroups and PID namespaces.
func TestSubreaperOnlyWhenAllowed(t *testing.T) {
	for allow, want := range map[string]string{"no": "0", "yes": "1"} {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "WORKER_TEST_SUBREAPER="+allow)
		var out bytes.Buffer
		cmd.Stdout = &out
		// A tree, as every child of a subreaper (RunAsInit's test makes
		// this process one) must be.
		tree, _ := proctree.Open(slog.New(slog.NewTextHandler(io.Discard, nil)), proctree.ProcessGroup).New("probe")
		err := tree.Start(cmd)
		if err == nil {
			err = tree.Wait()
		}
		if got := strings.TrimSpace(out.String()); err != nil || got != want {
			t.Errorf("worker with Subreaper %s: this process a subreaper: %q, %v; want %s", allow, got, err, want)
		}
	}
}

// TestKilledWorkerUnderInit: when the worker RunAsInit watches over is
// killed, what its datum started, in a new session too, ends with it.
func TestKilledWorkerUnderInit(t *testing.T) {
	real, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep program")
	}
	raw := make([]byte, 6)
	rand.Read(raw)
	marker := "tusk-marker-" + hex.EncodeToString(raw)
	dir := t.TempDir()
	sleep := filepath.Join(dir, marker)
	if err := os.Symlink(real, sleep); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, pid := range testenv.Running(marker) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	t.Setenv("WORKER_TEST_SCRIPT", strings.ReplaceAll(`setsid M 400 &
		setsid sh -c '(M 400 &)' &
		M 400 &
		exec M 400`, "M", sleep))
	done := make(chan error, 1)
	go func() { done <- RunAsInit([]string{"-test.run=^$"}) }()
	testenv.Eventually(t, 30*time.Second, "the datum's 4 processes run", func() bool { return len(testenv.Running(marker)) >= 4 })
	var worker int
	for _, pid := range testenv.Running("-test.run=^$") {
		stat, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:])); len(f) > 1 && f[1] == strconv.Itoa(os.Getpid()) {
			worker = pid
		}
	}
	if worker == 0 {
		t.Fatal("found no worker among the children of this process")
	}
	syscall.Kill(worker, syscall.SIGKILL)
	if err := <-done; err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("RunAsInit = %v, want the worker killed", err)
	}
	if left := testenv.Running(marker); len(left) > 0 {
		t.Errorf("%d processes outlived the killed worker: %v", len(left), left)
	}
}
