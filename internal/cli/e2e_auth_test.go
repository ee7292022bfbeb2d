package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/tusk"
)

// as returns e with its commands sent with token ("": none), and with
// the CLI configuration file config.
func (e *e2e) as(token, config string) *e2e {
	c := *e
	c.env = slices.DeleteFunc(slices.Clone(e.env), func(kv string) bool {
		return strings.HasPrefix(kv, "TUSK_TOKEN=") || strings.HasPrefix(kv, "TUSK_CONFIG=")
	})
	c.env = append(c.env, "TUSK_CONFIG="+config)
	if token != "" {
		c.env = append(c.env, "TUSK_TOKEN="+token)
	}
	return &c
}

// fresh returns the path of a CLI configuration that does not exist yet.
func fresh(t *testing.T) string { return filepath.Join(t.TempDir(), "config.json") }

// TestE2EAuth drives tusk auth: robot tokens, roles, revocation, login
// and logout, deactivation and activation.
func TestE2EAuth(t *testing.T) {
	e := startServer(t)
	if who := object[tusk.WhoAmI](e, "auth", "whoami"); !who.Active || who.Subject != "user:admin" || !who.Admin {
		t.Fatalf("whoami with tusk up's token: %+v", who)
	}
	e.run("create", "repo", "adm")
	ci := e.as(strings.TrimSpace(e.run("auth", "get-robot-token", "ci")), fresh(t))
	ci.run("create", "repo", "built")
	if bs := lines[tusk.RoleBinding](e, "auth", "get", "repo", "built"); len(bs) != 1 || bs[0].Subject != "robot:ci" || !slices.Equal(bs[0].Roles, []string{"repoOwner"}) {
		t.Errorf("roles on a repo robot:ci made: %+v", bs)
	}
	wantContains(t, "robot:ci lists repos", ci.run("list", "repo"), "built")
	if out := ci.run("list", "repo"); strings.Contains(out, "adm") {
		t.Errorf("robot:ci lists a repo it may not read:\n%s", out)
	}
	wantContains(t, "robot:ci inspects adm", ci.fail(1, "inspect", "repo", "adm"),
		`robot:ci needs repoReader on repo "adm"`, "ask an owner: tusk auth set repo adm repoReader robot:ci")

	e.run("auth", "set", "repo", "adm", "repoReader", "robot:ci")
	ci.run("inspect", "repo", "adm")
	if got := object[authCheck](ci, "auth", "check", "repo", "adm"); !slices.Equal(got.Roles, []string{"repoReader"}) {
		t.Errorf("check repo adm as robot:ci: %+v", got)
	}
	wantContains(t, "robot:ci gets the cluster's roles", ci.fail(1, "auth", "get", "cluster"), "needs clusterAdmin")

	e.run("auth", "revoke", "--robot", "ci")
	wantContains(t, "a revoked robot", ci.fail(1, "list", "repo"), "not valid", "run tusk auth login")
	wantContains(t, "no token", e.as("", fresh(t)).fail(1, "list", "repo"), "needs a token", "run tusk auth login")

	// Log in with a token, then out: the token is revoked.
	bot := strings.TrimSpace(e.run("auth", "get-robot-token", "bot", "--ttl", "1h"))
	home := e.as("", fresh(t))
	wantContains(t, "login", home.run("auth", "login", "--token", bot), "logged in as robot:bot")
	if who := object[tusk.WhoAmI](home, "auth", "whoami"); who.Subject != "robot:bot" {
		t.Errorf("whoami after login: %+v", who)
	}
	home.run("auth", "logout")
	home.fail(1, "auth", "whoami")
	e.as(bot, fresh(t)).fail(1, "auth", "whoami")

	// Deactivation needs the flag; then anyone may do anything until
	// activation, which hands out a new admin token.
	wantContains(t, "deactivate without the flag", e.fail(2, "auth", "deactivate"), "--yes-i-understand")
	_, stderr, code := e.exec(nil, "auth", "deactivate", "--yes-i-understand")
	if code != 0 || !strings.Contains(stderr, "anyone who can reach the server may do anything") {
		t.Fatalf("deactivate: exit %d, stderr %s", code, stderr)
	}
	anon := e.as("", fresh(t))
	anon.run("create", "repo", "open")
	wantContains(t, "activate", anon.run("auth", "activate"), "authentication is on; you are user:admin")
	anon.run("list", "repo") // with the token activate saved
	wantContains(t, "no token after activation", e.as("", fresh(t)).fail(1, "list", "repo"), "needs a token")
}

// TestE2EUpWritesTheAdminToken: tusk up keeps a cluster admin's token in
// its user's CLI configuration (mode 0600), so tusk commands work without
// logging in, and a restart keeps the token.
func TestE2EUpWritesTheAdminToken(t *testing.T) {
	e := startServer(t)
	cfg := e.upConfig
	st, err := os.Stat(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", cfg, st.Mode().Perm())
	}
	e.as("", cfg).run("create", "repo", "plain")
	if out := e.as("", cfg).run("list", "repo"); !strings.Contains(out, "plain") {
		t.Errorf("list repo with tusk up's configuration:\n%s", out)
	}
}

// TestE2EAdminTokenFile: tusk up --admin-token-file makes the operator's
// token a cluster admin's, as a Kubernetes deployment needs; a short one
// stops the server with a reason.
func TestE2EAdminTokenFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "admin-token")
	const chosen = "the-operators-own-admin-token-0123456789abcdef"
	if err := os.WriteFile(file, []byte(chosen+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := startServer(t, "--admin-token-file", file)
	op := e.as(chosen, fresh(t))
	if who := object[tusk.WhoAmI](op, "auth", "whoami"); !who.Admin || who.Subject != "user:admin" {
		t.Fatalf("whoami with the operator's token: %+v", who)
	}
	op.run("create", "repo", "by-operator")

	if err := os.WriteFile(file, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := runUpOnce(t, "--data-dir", t.TempDir(), "--admin-token-file", file)
	wantContains(t, "tusk up with a short admin token", out, "--admin-token-file", "at least 32")
}
