package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The end-to-end tests build the real tusk binary once, start `tusk up` as
// a subprocess per test and drive every command through the binary. They
// are skipped with -short.

// tuskBin is the binary TestMain built, or "" under -short.
var tuskBin string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "tusk-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tuskBin = filepath.Join(dir, "tusk")
	build := exec.Command("go", "build", "-o", tuskBin, "github.com/tuskdata/tusk/cmd/tusk")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build tusk: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// e2e is a running server and a scratch directory to run tusk in.
type e2e struct {
	t    *testing.T
	addr string
	dir  string // working directory of tusk commands: local files go here
	env  []string
}

// syncBuffer is a bytes.Buffer safe for a subprocess to write while the
// test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServer runs `tusk up` on a free port with a fresh data directory
// and waits until it is healthy. The server is stopped with SIGTERM (and
// must exit cleanly) when the test ends, or killed if it does not.
func startServer(t *testing.T, extra ...string) *e2e {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	addr := freeAddr(t)
	home := t.TempDir()
	e := &e2e{t: t, addr: addr, dir: t.TempDir(),
		env: append(os.Environ(), "TUSK_ADDRESS="+addr, "HOME="+home, "TUSK_CONFIG="+filepath.Join(home, "config.json"))}
	args := append([]string{"up", "--data-dir", t.TempDir(), "--listen", addr, "--log-level", "warn"}, extra...)
	cmd := exec.Command(tuskBin, args...)
	cmd.Env = e.env
	logs := &syncBuffer{}
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
				break
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
	// The announcement reaches us through a pipe; give it a moment.
	for i := 0; i < 100 && !strings.Contains(logs.String(), "tusk is listening on http://"+addr); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "tusk is listening on http://"+addr) {
		t.Errorf("tusk up did not announce its address; stderr:\n%s", logs)
	}
	return e
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// exec runs tusk and returns its output and exit status.
func (e *e2e) exec(stdin io.Reader, args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	cmd := exec.Command(tuskBin, args...)
	cmd.Env, cmd.Dir, cmd.Stdin = e.env, e.dir, stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		e.t.Fatalf("run tusk %q: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// run runs tusk and returns its standard output; the command must succeed.
func (e *e2e) run(args ...string) string {
	e.t.Helper()
	return e.runIn(nil, args...)
}

// runIn is run with standard input.
func (e *e2e) runIn(stdin io.Reader, args ...string) string {
	e.t.Helper()
	out, errs, code := e.exec(stdin, args...)
	if code != 0 {
		e.t.Fatalf("tusk %s: exit status %d\nstderr: %s", strings.Join(args, " "), code, errs)
	}
	return out
}

// fail runs tusk, which must exit with status code, and returns its
// standard error.
func (e *e2e) fail(code int, args ...string) string {
	e.t.Helper()
	out, errs, got := e.exec(nil, args...)
	if got != code {
		e.t.Fatalf("tusk %s: exit status %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), got, code, out, errs)
	}
	return errs
}

// object runs a command with -o json and decodes its one JSON object.
func object[T any](e *e2e, args ...string) T {
	e.t.Helper()
	var v T
	out := e.run(append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		e.t.Fatalf("tusk %s -o json: %v\n%s", strings.Join(args, " "), err, out)
	}
	return v
}

// lines runs a list command with -o json and decodes each NDJSON line.
func lines[T any](e *e2e, args ...string) []T {
	e.t.Helper()
	out := e.run(append(args, "-o", "json")...)
	var vs []T
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			e.t.Fatalf("tusk %s -o json: line %q: %v", strings.Join(args, " "), sc.Text(), err)
		}
		vs = append(vs, v)
	}
	return vs
}

// writeFile writes a local file under the scratch directory.
func (e *e2e) writeFile(name string, data []byte) string {
	e.t.Helper()
	p := filepath.Join(e.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// wantContains checks that s contains every one of subs.
func wantContains(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s: missing %q in:\n%s", what, sub, s)
		}
	}
}
