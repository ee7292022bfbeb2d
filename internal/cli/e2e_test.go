package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusktest"
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
	os.Exit(testenv.RunWithBinary(m, &tuskBin))
}

// e2e is a running server and a scratch directory to run tusk in.
type e2e struct {
	t    *testing.T
	addr string
	dir  string // working directory of tusk commands: local files go here
	env  []string
	logs *tusktest.Buffer // what the server printed
	// upConfig is the CLI configuration that tusk up wrote its token in.
	upConfig string
}

// startServer runs `tusk up` on a free port with a fresh data directory
// and waits until it is healthy. The server is stopped with SIGTERM (and
// must exit cleanly) when the test ends, or killed if it does not.
func startServer(t *testing.T, extra ...string) *e2e {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	u := tusktest.StartUp(t, tuskBin, extra...)
	addr, logs := u.Addr, u.Logs
	home := t.TempDir()
	e := &e2e{t: t, addr: addr, dir: t.TempDir(), logs: logs, upConfig: u.Config,
		env: append(os.Environ(), "TUSK_ADDRESS="+addr, "TUSK_TOKEN="+u.Token, "HOME="+home, "TUSK_CONFIG="+filepath.Join(home, "config.json"))}
	// The announcement reaches us through a pipe; give it a moment.
	for i := 0; i < 100 && !strings.Contains(logs.String(), "tusk is listening on http://"+addr); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "tusk is listening on http://"+addr) {
		t.Errorf("tusk up did not announce its address; stderr:\n%s", logs)
	}
	return e
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

// wantLines checks that each of patterns (regular expressions) matches
// a line of s.
func wantLines(t *testing.T, what, s string, patterns ...string) {
	t.Helper()
	for _, p := range patterns {
		if !regexp.MustCompile(`(?m)` + p).MatchString(s) {
			t.Errorf("%s: no line matches %q in:\n%s", what, p, s)
		}
	}
}

// loginLink finds the one-time console login link tusk up printed.
var loginLink = regexp.MustCompile(`console:  (\S+) \(a one-time login link\)`)

// console returns an HTTP client logged in to the console: it follows the
// login link that tusk up printed and keeps the session cookie.
func (e *e2e) console() *http.Client {
	e.t.Helper()
	m := loginLink.FindStringSubmatch(e.logs.String())
	if m == nil {
		e.t.Fatalf("tusk up printed no console login link:\n%s", e.logs)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	c := &http.Client{Jar: jar}
	resp, err := c.Get(m[1])
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(jar.Cookies(resp.Request.URL)) == 0 {
		e.t.Fatalf("the login link %s: %s, cookies %v", m[1], resp.Status, jar.Cookies(resp.Request.URL))
	}
	return c
}
