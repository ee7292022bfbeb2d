package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/tuskdata/tusk/internal/cli"
	"github.com/tuskdata/tusk/internal/client"
)

// upServer is a `tusk up` process of the worker binary, as an operator
// runs one: the failover scenario runs several on one PostgreSQL database
// and kills them.
type upServer struct {
	addr   string
	token  string // the admin's, from its CLI configuration
	log    string // its standard output and error
	client *client.Client
	cmd    *exec.Cmd
	exited chan error // receives the process's end once; nil once seen
}

// startUp runs `bin up` in dir (its data directory, CLI configuration and
// log go there) on a free loopback port with args after the flags set
// here, and returns once /healthz answers, with a client holding the
// admin token the server wrote into its CLI configuration.
func startUp(ctx context.Context, bin, dir string, args ...string) (*upServer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("start tusk up: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start tusk up: %w", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	u := &upServer{addr: addr, log: filepath.Join(dir, "up.log"), exited: make(chan error, 1)}
	logFile, err := os.Create(u.log)
	if err != nil {
		return nil, fmt.Errorf("start tusk up: %w", err)
	}
	defer logFile.Close()
	config := filepath.Join(dir, "config.json")
	u.cmd = exec.Command(bin, append([]string{"up", "--data-dir", filepath.Join(dir, "data"), "--listen", addr, "--log-level", "warn"}, args...)...)
	u.cmd.Env = append(os.Environ(), "TUSK_CONFIG="+config)
	u.cmd.Stdout, u.cmd.Stderr = logFile, logFile
	if err := u.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start tusk up: %w", err)
	}
	go func() { u.exited <- u.cmd.Wait() }()
	if err := u.healthy(ctx, 30*time.Second); err != nil {
		u.kill()
		return nil, err
	}
	token, err := cli.ContextToken(config, addr)
	if err == nil {
		u.token = token
		u.client, err = client.New(addr, client.WithToken(token))
	}
	if err != nil {
		u.kill()
		return nil, fmt.Errorf("tusk up on %s: %w", addr, err)
	}
	return u, nil
}

// healthy waits until the server's /healthz answers OK.
func (u *upServer) healthy(ctx context.Context, timeout time.Duration) error {
	var exit error
	exited := false
	err := poll(ctx, timeout, "tusk up answers /healthz", func() bool {
		select {
		case exit = <-u.exited:
			u.exited, exited = nil, true
			return true
		default:
		}
		resp, err := http.Get("http://" + u.addr + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	switch {
	case exited:
		return fmt.Errorf("tusk up exited early (%v): %s", exit, u.logTail())
	case err != nil:
		return fmt.Errorf("%w: %s", err, u.logTail())
	}
	return nil
}

// poll calls cond every 50 ms until it holds, for up to timeout.
func poll(ctx context.Context, timeout time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not within %s", what, timeout)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// leads reports whether the server runs the scheduler.
func (u *upServer) leads(ctx context.Context) bool {
	info, err := u.client.Info(ctx)
	return err == nil && info.Leader
}

// kill kills the server with SIGKILL, as a crash would, and waits for it
// to be gone.
func (u *upServer) kill() {
	if u.exited == nil {
		return
	}
	u.cmd.Process.Signal(syscall.SIGKILL)
	<-u.exited
	u.exited = nil
}

// stop stops the server with SIGTERM, killing it if it has not exited
// within 30 seconds, and reports whether it exited cleanly.
func (u *upServer) stop() error {
	if u.exited == nil {
		return nil
	}
	u.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-u.exited:
		u.exited = nil
		if err != nil {
			return fmt.Errorf("tusk up on %s did not exit cleanly on SIGTERM: %w: %s", u.addr, err, u.logTail())
		}
		return nil
	case <-time.After(30 * time.Second):
		u.kill()
		return fmt.Errorf("tusk up on %s did not stop within 30 s of SIGTERM; killed it: %s", u.addr, u.logTail())
	}
}

// logTail is the end of what the server wrote to its standard output and
// error, for an error message (the log goes with the scenario's data).
func (u *upServer) logTail() string {
	const most = 2000
	data, err := os.ReadFile(u.log)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	if len(data) > most {
		data = data[len(data)-most:]
	}
	return fmt.Sprintf("the end of its log: %q", strings.TrimSpace(string(data)))
}
