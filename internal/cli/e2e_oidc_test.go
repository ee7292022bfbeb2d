package cli

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/oidctest"
	"github.com/tuskdata/tusk/internal/tusk"
)

// TestE2EOIDCLogin logs in with `tusk auth login` at a server whose users
// log in at an OpenID Provider: the command prints the provider's URL,
// the user logs in there in a browser, and the command receives a token
// of the user and keeps it. The new user has no roles until one is
// granted.
func TestE2EOIDCLogin(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	u := oidctest.User{Subject: "alice-sub", Password: "alice-pw", Email: "alice@example.com", EmailVerified: true}
	op := oidctest.New(t, oidctest.Options{ClientID: "tusk", ClientSecret: "s3cret", Users: []oidctest.User{u}})
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := startServer(t, "--oidc-issuer", op.Issuer, "--oidc-client-id", "tusk", "--oidc-client-secret-file", secret)
	op.AllowRedirect("http://" + e.addr + "/auth/callback")
	e.run("create", "repo", "data") // as the admin
	alice := e.as("", fresh(t))

	cmd := exec.Command(tuskBin, "auth", "login", "--no-browser")
	cmd.Env, cmd.Dir = alice.env, alice.dir
	var stdout bytes.Buffer
	stderr, w := io.Pipe()
	cmd.Stdout, cmd.Stderr = &stdout, w
	defer w.Close()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var loginURL string
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "  "+op.Issuer); ok {
			loginURL = op.Issuer + u
			break
		}
	}
	if loginURL == "" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("tusk auth login printed no URL of the provider")
	}
	resp, body, err := op.LogIn(context.Background(), nil, loginURL, u.Subject, u.Password)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, "Logged in as user:alice@example.com") {
		t.Errorf("the browser's last page: %d %s", resp.StatusCode, body)
	}
	go io.Copy(io.Discard, stderr)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("tusk auth login: %v", err)
	}
	if !strings.Contains(stdout.String(), "logged in as user:alice@example.com") {
		t.Errorf("tusk auth login printed %q", stdout.String())
	}
	if who := object[tusk.WhoAmI](alice, "auth", "whoami"); who.Subject != "user:alice@example.com" || who.Admin {
		t.Errorf("whoami after the login: %+v", who)
	}
	wantContains(t, "alice inspects a repo she has no role on", alice.fail(1, "inspect", "repo", "data"),
		`user:alice@example.com needs repoReader on repo "data"`)
	e.run("auth", "set", "repo", "data", "repoReader", "user:alice@example.com")
	alice.run("inspect", "repo", "data")
}

func TestE2EUpOIDCErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	dead := "http://" + freeAddr(t)
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := runUpOnce(t, "--data-dir", t.TempDir(), "--oidc-issuer", dead, "--oidc-client-id", "tusk", "--oidc-client-secret-file", secret)
	if !strings.Contains(out, "OIDC issuer "+dead+": discovery failed") || !strings.Contains(out, dead+"/.well-known/openid-configuration") {
		t.Errorf("tusk up with an issuer that does not answer:\n%s", out)
	}
	out = runUpOnce(t, "--data-dir", t.TempDir(), "--oidc-client-id", "tusk")
	if !strings.Contains(out, "the --oidc-* flags need --oidc-issuer") {
		t.Errorf("tusk up with --oidc-client-id alone:\n%s", out)
	}
}
