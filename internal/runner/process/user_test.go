package process_test

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/tuskdata/tusk/internal/server"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
	"github.com/tuskdata/tusk/internal/tusktest"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: without it, commands run as the server's user")
	}
}

// pipelineAs creates a pipeline over words/* that runs script with sh as
// user (transform.user; "" leaves it out).
func (e *env) pipelineAs(name, user, script string) {
	e.t.Helper()
	spec := fmt.Sprintf(`{"pipeline": {"name": %q}, "input": {"pfs": {"repo": "words", "glob": "/*"}},
		"datum_tries": 1, "transform": {"cmd": ["sh", "-c", %q], "user": %q}}`, name, script, user)
	if _, err := e.c.CreatePipeline(e.ctx, []byte(spec), false, false, false); err != nil {
		e.t.Fatalf("create pipeline: %v", err)
	}
}

func (e *env) read(ref string) string {
	e.t.Helper()
	rc, _, err := e.c.GetFile(e.ctx, ref, 0)
	if err != nil {
		e.t.Fatalf("get %s: %v", ref, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		e.t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestCommandsRunUnprivileged: as root, the process runner runs commands
// as nobody, or as transform.user, never as root: they cannot read a
// file only root may, yet they read their inputs and write /pfs/out, $HOME
// and $TMPDIR.
func TestCommandsRunUnprivileged(t *testing.T) {
	needRoot(t)
	secret := filepath.Join(testenv.OpenDir(t, 0o755), "secret") // only the file's mode keeps it
	if err := os.WriteFile(secret, []byte("root's only\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := start(t)
	script := fmt.Sprintf(`out=$PFS/out
		id -u > $out/uid
		id -g > $out/gid
		cat %s > $out/secret 2>/dev/null || echo refused > $out/secret
		cat $words > $out/input
		touch $HOME/h $TMPDIR/t && echo yes > $out/writable`, secret)
	e.pipelineAs("nobody", "", script)
	e.pipelineAs("named", "4242:4343", script)
	e.pipelineAs("root", "root", script)
	c := tusktest.Put(e.ctx, t, e.c, "words", "/a", "the input\n")
	e.c.WaitCommit(e.ctx, c.ID) // root fails

	for pipeline, want := range map[string][2]string{"nobody": {"65534", "65534"}, "named": {"4242", "4343"}} {
		got := map[string]string{}
		for _, f := range []string{"uid", "gid", "secret", "input", "writable"} {
			got[f] = e.read(pipeline + "@master:/" + f)
		}
		if got["uid"] != want[0] || got["gid"] != want[1] || got["secret"] != "refused" || got["input"] != "the input" || got["writable"] != "yes" {
			t.Errorf("%s: the command saw %v; want uid %s gid %s, the secret refused, the input read, $HOME and $TMPDIR writable",
				pipeline, got, want[0], want[1])
		}
	}
	jobs, err := e.c.ListJobs(e.ctx, "root", "", 1)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("jobs of root: %v, %v", jobs, err)
	}
	err = e.c.ListDatums(e.ctx, "root", jobs[0].ID, "", func(d tusk.DatumInfo) error {
		if d.State != tusk.DatumFailed || !strings.Contains(d.Reason, "never runs user code as root") {
			t.Errorf("datum of transform.user root: %s (%q), want failed because the runner never runs code as root", d.State, d.Reason)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestWorkerSocketIsTheWorkersOnly: the worker socket is root's, mode
// 0660, in the worker user's group: a command of a pipeline reaches the
// API through it (where it needs its worker's token), another local user
// cannot connect.
func TestWorkerSocketIsTheWorkersOnly(t *testing.T) {
	needRoot(t)
	dir := testenv.OpenDir(t, 0o755) // only the socket's mode keeps it
	startIn(t, dir)                  // with the repo words
	sock := filepath.Join(dir, "tusk.sock")
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode()&fs.ModePerm != 0o660 || st.Uid != 0 || st.Gid != 65534 {
		t.Errorf("worker socket: mode %v, owner %d:%d; want 0660, 0:65534", fi.Mode()&fs.ModePerm, st.Uid, st.Gid)
	}
	list := func(uid, gid uint32) (string, error) {
		cmd := exec.Command(tuskBin, "list", "repo")
		cmd.Env = []string{"TUSK_ADDRESS=unix://" + sock, "TUSK_CONFIG=/nonexistent/config.json", "PATH=/usr/bin:/bin"}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid}}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := list(4242, 4242); err == nil || !strings.Contains(out, "permission denied") {
		t.Errorf("another user listed repos through the worker socket: %v\n%s", err, out)
	}
	// The worker user reaches the API, which then wants a worker's token.
	if out, _ := list(65534, 65534); !strings.Contains(out, "needs a token") {
		t.Errorf("the worker user could not reach the API through the worker socket:\n%s", out)
	}
}

// TestWorkerUserIsNeverRoot: tusk up --worker-user root is refused, and a
// name is looked up.
func TestWorkerUserIsNeverRoot(t *testing.T) {
	needRoot(t)
	for _, user := range []string{"root", "0:0"} {
		s, err := server.New(context.Background(), server.Config{DataDir: t.TempDir(), Runner: "process", WorkerBinary: tuskBin, WorkerUser: user})
		if err == nil {
			s.Close()
		}
		if err == nil || !strings.Contains(err.Error(), "never runs as root") {
			t.Errorf("worker user %q: %v, want a refusal", user, err)
		}
	}
	s, err := server.New(context.Background(), server.Config{DataDir: t.TempDir(), Runner: "process", WorkerBinary: tuskBin, WorkerUser: "no-such-user-here"})
	if err == nil {
		s.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "no-such-user-here") {
		t.Errorf("worker user no-such-user-here: %v, want an error naming it", err)
	}
}
