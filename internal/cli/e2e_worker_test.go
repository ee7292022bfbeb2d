package cli

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tlscert/tlscerttest"
	"github.com/tuskdata/tusk/internal/tusktest"
)

// TestE2EExternalWorker runs a server that starts no workers (--runner
// external) over TLS, and a `tusk worker` started by hand as another host
// would, which reaches it over TCP with a worker token from tusk auth
// get-worker-token and the server's CA: it runs the pipeline's datums.
// A worker with a token of another identity is refused and exits.
func TestE2EExternalWorker(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	files := tlscerttest.Issue(t, t.TempDir(), "127.0.0.1")
	u := tusktest.StartUp(t, tuskBin, "--runner", "external", "--tls-cert", files.Cert, "--tls-key", files.Key, "--log-level", "info")
	e := tlsCLI(t, u.Addr, u.Token)
	e.run("config", "set", "context", "lab", "--address", "https://"+u.Addr, "--server-ca", files.CA)
	e.run("config", "set", "active-context", "lab")
	e.run("create", "repo", "words")
	e.runIn(strings.NewReader("one two three\n"), "put", "file", "words@master:/a.txt")
	// The worker lays datums out under its --root, which user code finds
	// as $PFS.
	e.run("create", "pipeline", "-f", e.writeFile("wc.json", []byte(strings.ReplaceAll(wcSpec, "/pfs/out", "$PFS/out"))))
	testenv.Eventually(t, 10*time.Second, "the server says how to start the pipeline's workers", func() bool {
		return strings.Contains(u.Logs.String(), "tusk worker --pipeline wc")
	})

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	worker := func(token string, args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, tuskBin, append([]string{"worker", "--pipeline", "wc", "--address", "https://" + u.Addr,
			"--server-ca", files.CA, "--root", t.TempDir()}, args...)...)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "TUSK_WORKER_TOKEN=" + token}
		return cmd
	}

	robot := strings.TrimSpace(e.run("auth", "get-robot-token", "intruder"))
	out, err := worker(robot).CombinedOutput()
	if err == nil || !strings.Contains(string(out), `may not work for pipeline "wc"`) {
		t.Errorf("a worker with a robot's token: %v\n%s\nwant it refused, and to exit", err, out)
	}

	wantContains(t, "a worker token of no pipeline", e.fail(1, "auth", "get-worker-token", "nosuch"), `pipeline "nosuch" not found`)
	wantContains(t, "a worker token with a bad ttl", e.fail(1, "auth", "get-worker-token", "wc", "--ttl", "soon"), `ttl "soon"`)
	token := strings.TrimSpace(e.run("auth", "get-worker-token", "wc", "--ttl", "1h"))
	w := worker(token, "--id", "remote-1")
	logs := &tusktest.Buffer{}
	w.Stdout, w.Stderr = logs, logs
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		w.Process.Kill()
		w.Wait()
	})
	e.run("wait", "commit", "wc@master")
	if got := strings.TrimSpace(e.run("get", "file", "wc@master:/a.txt")); got != "3" {
		t.Errorf("wc@master:/a.txt = %q, want 3; the worker said:\n%s", got, logs)
	}
}
