package process_test

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/tuskdata/tusk/internal/runner/process"
	"github.com/tuskdata/tusk/internal/runner/runnertest"
)

// TestConformance runs the runner conformance suite on the process
// runner, whose workers it finds in the process table.
func TestConformance(t *testing.T) {
	runnertest.Run(t, func(t *testing.T, api runnertest.API) runnertest.Target {
		scratch := filepath.Join(t.TempDir(), "workers")
		r := process.New(tuskBin, "unix://"+api.Socket, api.Credentials, scratch, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
		return runnertest.Target{
			Runner:  r,
			Workers: func(*testing.T) map[string]string { return workerProcesses(scratch) },
			Kill: func(t *testing.T, pid string) {
				n, _ := strconv.Atoi(pid)
				if err := syscall.Kill(n, syscall.SIGKILL); err != nil {
					t.Fatalf("kill worker process %s: %v", pid, err)
				}
			},
		}
	})
}

// workerProcesses returns the live worker processes, children of this
// one, whose datum directories are under scratch: worker ID → PID.
func workerProcesses(scratch string) map[string]string {
	out := map[string]string{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		pid, _ := strconv.Atoi(filepath.Base(dir))
		if parent(pid) != os.Getpid() {
			continue
		}
		stat, _ := os.ReadFile(dir + "/stat")
		if i := bytes.LastIndexByte(stat, ')'); i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z' {
			continue
		}
		cmdline, _ := os.ReadFile(dir + "/cmdline")
		args := bytes.Split(bytes.TrimSuffix(cmdline, []byte{0}), []byte{0})
		if len(args) < 2 || string(args[1]) != "worker" {
			continue
		}
		var id, root string
		for i := 2; i+1 < len(args); i++ {
			switch string(args[i]) {
			case "--id":
				id = string(args[i+1])
			case "--root":
				root = string(args[i+1])
			}
		}
		if filepath.Dir(root) == scratch && id != "" {
			out[id] = strconv.Itoa(pid)
		}
	}
	return out
}
