package process_test

import (
	"io"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/tusktest"
)

// TestWorkersDoNotGetTheServersSecrets: the server's environment (object
// store keys, database passwords) does not reach user code; the host's
// search path and locale do.
func TestWorkersDoNotGetTheServersSecrets(t *testing.T) {
	t.Setenv("AWS_SECRET_ACCESS_KEY", "the-servers-secret")
	t.Setenv("PGPASSWORD", "the-servers-password")
	t.Setenv("LC_ALL", "C")
	e := start(t)
	e.pipeline("env", `env > $PFS/out/$(basename $words)`)
	c := tusktest.Put(e.ctx, t, e.c, "words", "/a", "a\n")
	if _, err := e.c.WaitCommit(e.ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	rc, _, err := e.c.GetFile(e.ctx, "env@master:/a", 0)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	env := string(got)
	for _, secret := range []string{"the-servers-secret", "the-servers-password"} {
		if strings.Contains(env, secret) {
			t.Errorf("user code sees the server's %q:\n%s", secret, env)
		}
	}
	for _, want := range []string{"LC_ALL=C", "PATH="} {
		if !strings.Contains(env, want) {
			t.Errorf("user code lacks %s:\n%s", want, env)
		}
	}
}
