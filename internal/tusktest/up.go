package tusktest

import (
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// StartUp runs `binary up` as a subprocess on a free loopback port with a
// fresh data directory, logging warnings, and args after those flags. It
// returns the server once /healthz answers: its address, the admin token
// it wrote into its CLI configuration, and what it writes to its standard
// output and error. When t ends the server gets SIGTERM and must exit
// cleanly within 15 seconds, else it is killed and t fails.
func StartUp(t testing.TB, binary string, args ...string) *UpProcess {
	t.Helper()
	return StartUpOn(t, binary, t.TempDir(), args...)
}

// An UpProcess is a `tusk up` subprocess that a test may kill and start
// again on the same data directory and address.
type UpProcess struct {
	Addr  string
	Token string  // a cluster admin's token, from the server's CLI configuration
	Logs  *Buffer // what every run wrote to its standard output and error

	// Config is the CLI configuration file the server writes its admin
	// token into ($TUSK_CONFIG), private to the test.
	Config string

	t      testing.TB
	args   []string
	cmd    *exec.Cmd
	exited chan error // nil when not running
}

// StartUpOn is StartUp on the data directory dir; the process it returns
// may be killed and started again.
func StartUpOn(t testing.TB, binary, dir string, args ...string) *UpProcess {
	t.Helper()
	u := &UpProcess{Addr: freeAddr(t), Logs: &Buffer{}, Config: filepath.Join(t.TempDir(), "config.json"), t: t}
	u.args = append([]string{binary, "up", "--data-dir", dir, "--listen", u.Addr, "--log-level", "warn"}, args...)
	t.Cleanup(func() {
		if u.exited != nil {
			u.Stop()
		}
	})
	u.Start()
	return u
}

// Start starts the server again, after Kill, and waits until /healthz
// answers (over https, trusting any certificate, if it was given
// --tls-cert).
func (u *UpProcess) Start() {
	t := u.t
	t.Helper()
	if u.exited != nil {
		t.Fatal("tusk up is already running")
	}
	u.cmd = exec.Command(u.args[0], u.args[1:]...)
	u.cmd.Env = append(os.Environ(), "TUSK_CONFIG="+u.Config)
	u.cmd.Stdout, u.cmd.Stderr = u.Logs, u.Logs
	if err := u.cmd.Start(); err != nil {
		t.Fatalf("start tusk up: %v", err)
	}
	exited := make(chan error, 1)
	u.exited = exited
	go func() { exited <- u.cmd.Wait() }()
	probe, health := http.DefaultClient, "http://"+u.Addr+"/healthz"
	if slices.Contains(u.args, "--tls-cert") {
		// Whether the certificate is trusted is for the test to check.
		probe = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
		health = "https://" + u.Addr + "/healthz"
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := probe.Get(health)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				u.readToken()
				return
			}
		}
		select {
		case err := <-exited:
			u.exited = nil
			t.Fatalf("tusk up exited early: %v\n%s", err, u.Logs)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("tusk up not healthy after 20s\n%s", u.Logs)
		}
	}
}

// readToken reads the admin token the server wrote for its address.
func (u *UpProcess) readToken() {
	u.t.Helper()
	data, err := os.ReadFile(u.Config)
	if err != nil {
		u.t.Fatalf("read the admin token tusk up wrote: %v", err)
	}
	var c struct {
		Contexts map[string]struct {
			Address string `json:"address"`
			Token   string `json:"token"`
		} `json:"contexts"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		u.t.Fatalf("read the admin token tusk up wrote: %v", err)
	}
	for _, ctx := range c.Contexts {
		if strings.TrimPrefix(ctx.Address, "https://") == u.Addr {
			u.Token = ctx.Token
			return
		}
	}
	u.t.Fatalf("tusk up wrote no token for %s into %s:\n%s", u.Addr, u.Config, data)
}

// Stop stops the server with SIGTERM, as an operator would, and fails the
// test unless it exits cleanly within 15 seconds.
func (u *UpProcess) Stop() {
	u.t.Helper()
	if u.exited == nil {
		u.t.Fatal("tusk up is not running")
	}
	u.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-u.exited:
		if err != nil {
			u.t.Errorf("tusk up did not exit cleanly on SIGTERM: %v\n%s", err, u.Logs)
		}
	case <-time.After(15 * time.Second):
		u.cmd.Process.Kill()
		<-u.exited
		u.t.Errorf("tusk up did not stop within 15s of SIGTERM; killed it\n%s", u.Logs)
	}
	u.exited = nil
}

// Kill kills the server with SIGKILL, as a crash would, and waits for it
// to be gone.
func (u *UpProcess) Kill() {
	u.t.Helper()
	if u.exited == nil {
		u.t.Fatal("tusk up is not running")
	}
	u.cmd.Process.Signal(syscall.SIGKILL)
	<-u.exited
	u.exited = nil
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
