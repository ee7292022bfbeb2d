package s3gw_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/server"
	"github.com/tuskdata/tusk/internal/testenv"
)

// env is a Tusk server in this process, with its API and its S3 gateway
// each on a loopback port.
type env struct {
	c     *client.Client
	token string // a cluster admin's
	s3    string // http://HOST:PORT of the gateway
}

// newEnv starts a server; with authOff its authentication is turned off,
// so that S3 clients need no credentials of Tusk's.
func newEnv(t *testing.T, authOff bool) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	listen := func() net.Listener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return ln
	}
	api, s3 := listen(), listen()
	srv, err := server.New(ctx, server.Config{DataDir: t.TempDir(), Listen: api.Addr().String(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	apiDone, s3Done := make(chan struct{}), make(chan struct{})
	go func() { defer close(apiDone); srv.Serve(ctx, api) }()
	go func() { defer close(s3Done); srv.ServeS3(ctx, s3) }()
	t.Cleanup(func() {
		cancel()
		<-apiDone
		<-s3Done
		srv.Close()
	})
	token, _, err := srv.AdminToken(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(api.Addr().String(), client.WithToken(token))
	if err != nil {
		t.Fatal(err)
	}
	if authOff {
		if err := c.DeactivateAuth(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return &env{c: c, token: token, s3: "http://" + s3.Addr().String()}
}

// put commits files (path → content) to repo@branch, creating the repo
// if it does not exist.
func (e *env) put(t *testing.T, repo, branch string, files map[string]string) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.c.InspectRepo(ctx, repo); err != nil {
		if _, err := e.c.CreateRepo(ctx, repo, ""); err != nil {
			t.Fatal(err)
		}
	}
	u, err := e.c.NewUpload(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for p, content := range files {
		if err := u.PutFile(p, strings.NewReader(content), false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := u.Commit(repo + "@" + branch); err != nil {
		t.Fatal(err)
	}
}

// tool returns the path of a command-line S3 client. Without
// TUSK_TEST_S3CLIENTS (.ci/s3clients.sh installs the clients and sets it)
// the test is skipped, or fails when TUSK_TEST_REQUIRE lists s3clients.
func tool(t *testing.T, name string) string {
	t.Helper()
	testenv.Require(t, "s3clients", "TUSK_TEST_S3CLIENTS")
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s: %v; install the S3 clients with: bash .ci/s3clients.sh", name, err)
	}
	return p
}

// run runs a command with env added to the environment and returns its
// standard output, failing the test if it fails.
func run(t *testing.T, env []string, stdin io.Reader, name string, args ...string) string {
	t.Helper()
	out, err := runErr(env, stdin, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// runErr runs a command and returns its standard output and error
// combined.
func runErr(env []string, stdin io.Reader, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = stdin
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}
