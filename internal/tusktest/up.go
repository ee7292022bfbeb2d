package tusktest

import (
	"net"
	"net/http"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// StartUp runs `binary up` as a subprocess on a free loopback port with a
// fresh data directory, logging warnings, and args after those flags. It
// returns the server's address once /healthz answers, and what the server
// writes to its standard output and error. When t ends the server gets
// SIGTERM and must exit cleanly within 15 seconds, else it is killed and t
// fails.
func StartUp(t testing.TB, binary string, args ...string) (addr string, logs *Buffer) {
	t.Helper()
	addr = freeAddr(t)
	cmd := exec.Command(binary, append([]string{"up", "--data-dir", t.TempDir(), "--listen", addr, "--log-level", "warn"}, args...)...)
	logs = &Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start tusk up: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("tusk up did not exit cleanly on SIGTERM: %v\n%s", err, logs)
			}
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Errorf("tusk up did not stop within 15s of SIGTERM; killed it\n%s", logs)
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return addr, logs
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("tusk up exited early: %v\n%s", err, logs)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("tusk up not healthy after 20s\n%s", logs)
		}
	}
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
