package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/server"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tlscert/tlscerttest"
	"github.com/tuskdata/tusk/internal/tusktest"
)

// tlsCLI is a scratch home for tusk commands with a config file of
// their own, and no $TUSK_ADDRESS; they send token.
func tlsCLI(t *testing.T, addr, token string) *e2e {
	t.Helper()
	home := t.TempDir()
	env := []string{"HOME=" + home, "TUSK_CONFIG=" + filepath.Join(home, "config.json"), "PATH=" + os.Getenv("PATH"), "TUSK_TOKEN=" + token}
	return &e2e{t: t, addr: addr, dir: t.TempDir(), env: env}
}

func TestE2ETLSWithGivenCertificate(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	files := tlscerttest.Issue(t, t.TempDir(), "127.0.0.1")
	u := tusktest.StartUp(t, tuskBin, "--tls-cert", files.Cert, "--tls-key", files.Key)
	addr, logs := u.Addr, u.Logs
	testenv.Eventually(t, 10*time.Second, "tusk up prints how to trust its certificate",
		func() bool { return strings.Contains(logs.String(), "trust it:") })
	if !strings.Contains(logs.String(), "tusk is listening on https://"+addr) || !strings.Contains(logs.String(), "certificate: SHA256:") {
		t.Fatalf("tusk up did not announce https and its certificate:\n%s", logs)
	}

	e := tlsCLI(t, addr, u.Token)
	e.run("config", "set", "context", "lab", "--address", "https://"+addr)
	e.run("config", "set", "active-context", "lab")
	errs := e.fail(1, "list", "repo")
	if !strings.Contains(errs, "does not trust") || !strings.Contains(errs, "tusk config set context NAME --address https://"+addr) || !strings.Contains(errs, "--server-ca FILE") {
		t.Fatalf("an unpinned CLI printed:\n%s\nwant a refusal that says how to pin the certificate", errs)
	}
	e.run("config", "set", "context", "lab", "--server-ca", files.CA)
	e.run("create", "repo", "images")
	if out := e.run("list", "repo"); !strings.Contains(out, "images") {
		t.Errorf("list repo over https:\n%s", out)
	}

	errs = e.fail(1, "config", "set", "context", "plain", "--address", addr, "--server-ca", files.CA)
	if !strings.Contains(errs, "https://HOST:PORT") {
		t.Errorf("a CA for a plain address printed:\n%s\nwant a hint to use https://", errs)
	}
}

func TestE2ETLSSelfSignedPinning(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	s, c, _ := tusktest.StartServer(t, server.Config{DataDir: t.TempDir(), TLS: server.TLSConfig{SelfSigned: true}})
	cert, _ := s.Certificate()
	addr := strings.TrimPrefix(c.Address(), "https://")
	token, _, err := s.AdminToken(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}

	e := tlsCLI(t, addr, token)
	e.run("config", "set", "context", "lab", "--address", "https://"+addr)
	e.run("config", "set", "active-context", "lab")
	errs := e.fail(1, "list", "repo")
	if !strings.Contains(errs, cert.Fingerprint.String()) || !strings.Contains(errs, "--server-ca") {
		t.Fatalf("an unpinned CLI printed:\n%s\nwant the fingerprint %s and how to pin it", errs, cert.Fingerprint)
	}
	e.run("config", "set", "context", "lab", "--server-fingerprint", cert.Fingerprint.String())
	e.run("create", "repo", "pinned")
	if out := e.run("list", "repo"); !strings.Contains(out, "pinned") {
		t.Errorf("list repo with a pinned fingerprint:\n%s", out)
	}

	// Another certificate at the same address is refused.
	e.run("config", "set", "context", "lab", "--server-fingerprint", "SHA256:"+strings.Repeat("A", 43))
	if errs := e.fail(1, "list", "repo"); !strings.Contains(errs, "not the pinned") {
		t.Errorf("a wrong pin printed:\n%s", errs)
	}

	// The environment names a server and its pin too.
	e.env = append(e.env, "TUSK_ADDRESS=https://"+addr, "TUSK_SERVER_FINGERPRINT="+cert.Fingerprint.String())
	if out := e.run("list", "repo"); !strings.Contains(out, "pinned") {
		t.Errorf("list repo with $TUSK_SERVER_FINGERPRINT:\n%s", out)
	}
}
