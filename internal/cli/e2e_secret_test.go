package cli

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// secretValue is the value the secrets' tests store: it must not appear
// in anything the CLI prints or the metadata store holds.
const secretValue = "hunter2-correct-horse-battery"

const secretManifest = `apiVersion: v1
kind: Secret
metadata:
  name: db-creds
  namespace: default
type: Opaque
data:
  username: YWRtaW4=
stringData:
  password: ` + secretValue + `
`

// TestE2ESecretsSQLite creates, lists, inspects and deletes a secret with
// the embedded store, whose files must not hold the value.
func TestE2ESecretsSQLite(t *testing.T) {
	dataDir := t.TempDir()
	e := startServer(t, "--data-dir", dataDir)
	driveSecrets(t, e, func() []byte {
		var all []byte
		files, _ := filepath.Glob(filepath.Join(dataDir, "meta.db*")) // the database and its WAL
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		return all
	})
	fi, err := os.Stat(filepath.Join(dataDir, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("secret.key has mode %v, want 0600", fi.Mode().Perm())
	}
}

// TestE2ESecretsPostgres is the same on PostgreSQL, whose row must not
// hold the value; a second server with another key refuses to start.
func TestE2ESecretsPostgres(t *testing.T) {
	dsn := testenv.PostgresDatabase(t)
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := startServer(t, "--metadata", dsn, "--secret-key-file", keyFile)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows := func() []byte {
		var all []byte
		r, err := db.QueryContext(t.Context(), `SELECT name, type, created::text, sealed FROM secrets`)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		for r.Next() {
			var name, typ, created, sealed string
			if err := r.Scan(&name, &typ, &created, &sealed); err != nil {
				t.Fatal(err)
			}
			raw, _ := base64.StdEncoding.DecodeString(sealed)
			all = append(all, strings.Join([]string{name, typ, created, sealed, string(raw)}, "\x00")...)
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		return all
	}
	driveSecrets(t, e, rows)

	e.runIn(strings.NewReader(secretManifest), "create", "secret", "-f", "-")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	up := exec.CommandContext(ctx, tuskBin, "up", "--data-dir", t.TempDir(), "--metadata", dsn, "--listen", "127.0.0.1:0")
	up.Env = append(os.Environ(), "TUSK_CONFIG="+fresh(t))
	out, err := up.CombinedOutput()
	if err == nil {
		t.Fatalf("a server with another key started over the secrets of the first:\n%s", out)
	}
	wantContains(t, "a server with another secret key", string(out), "opens 0 of the 1 secrets", "--secret-key-file")
}

// driveSecrets runs the secret commands on e; stored returns the bytes
// the metadata store holds.
func driveSecrets(t *testing.T, e *e2e, stored func() []byte) {
	e.run("create", "secret", "-f", e.writeFile("secret.yaml", []byte(secretManifest)))
	wantContains(t, "creating it again", e.fail(1, "create", "secret", "-f", "secret.yaml"), "already exists")
	e.run("create", "secret", "-f", e.writeFile("tok.json",
		[]byte(`{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tok"}, "type": "kubernetes.io/basic-auth", "data": {"token": "YWJj"}}`)))

	list := e.run("list", "secret")
	wantContains(t, "list secret", list, "NAME", "TYPE", "CREATED", "db-creds", "Opaque", "tok", "kubernetes.io/basic-auth")
	infos := lines[tusk.SecretInfo](e, "list", "secrets")
	if len(infos) != 2 || infos[0].Name != "db-creds" || infos[1].Name != "tok" || infos[0].Created.IsZero() {
		t.Errorf("list secret -o json: %+v", infos)
	}
	inspect := e.run("inspect", "secret", "db-creds")
	wantContains(t, "inspect secret", inspect, "db-creds", "password", "username", "5 bytes")
	info := object[tusk.SecretInfo](e, "inspect", "secret", "db-creds")
	want := []tusk.SecretKey{{Key: "password", Size: len(secretValue)}, {Key: "username", Size: 5}}
	if len(info.Keys) != 2 || info.Keys[0] != want[0] || info.Keys[1] != want[1] {
		t.Errorf("inspect secret -o json: keys %+v, want %+v", info.Keys, want)
	}
	for what, out := range map[string]string{"list": list, "inspect": inspect} {
		if strings.Contains(out, secretValue) || strings.Contains(out, "admin") {
			t.Errorf("%s secret prints a value:\n%s", what, out)
		}
	}

	b := stored()
	if !bytes.Contains(b, []byte("db-creds")) {
		t.Fatal("the metadata store's bytes do not name the secret: the test reads the wrong bytes")
	}
	for _, v := range []string{secretValue, base64.StdEncoding.EncodeToString([]byte(secretValue)), base64.StdEncoding.EncodeToString([]byte(secretValue))[:12]} {
		if bytes.Contains(b, []byte(v)) {
			t.Errorf("the metadata store holds %q in the clear", v)
		}
	}

	robot := e.as(strings.TrimSpace(e.run("auth", "get-robot-token", "ci")), fresh(t))
	for _, args := range [][]string{{"list", "secret"}, {"inspect", "secret", "db-creds"}, {"delete", "secret", "db-creds"}, {"create", "secret", "-f", "secret.yaml"}} {
		wantContains(t, "robot:ci runs "+strings.Join(args, " "), robot.fail(1, args...), "needs clusterAdmin")
	}

	e.run("delete", "secret", "db-creds")
	wantContains(t, "inspect a deleted secret", e.fail(1, "inspect", "secret", "db-creds"), "not found", "tusk list secret")
	if infos := lines[tusk.SecretInfo](e, "list", "secret"); len(infos) != 1 || infos[0].Name != "tok" {
		t.Errorf("after delete, list secret: %+v", infos)
	}
	e.run("delete", "secret", "tok")
}

// secretPipeline gives its code db-creds' password as $DB_PASSWORD: it
// writes it to its output and prints it, which the logs show redacted.
const secretPipeline = `{
  "pipeline": {"name": "usesecret"},
  "transform": {IMAGE"cmd": ["sh", "-c", "echo the password is $DB_PASSWORD; printf %s \"$DB_PASSWORD\" > /pfs/out/pw"],
    "secrets": [{"name": "db-creds", "key": "password", "env_var": "DB_PASSWORD"}]},
  "input": {"pfs": {"repo": "in", "glob": "/"}}
}`

// TestE2ESecretsInPipelines runs a pipeline that names a secret on the
// process runner and, with TUSK_TEST_DOCKER, on the docker runner.
func TestE2ESecretsInPipelines(t *testing.T) {
	t.Run("process", func(t *testing.T) { runSecretPipeline(t, processRunner, "") })
	t.Run("docker", func(t *testing.T) {
		testenv.Require(t, "docker", "TUSK_TEST_DOCKER")
		runSecretPipeline(t, []string{"--runner", "docker"}, `"image": "tusk-test/busybox:latest", `)
	})
}

func runSecretPipeline(t *testing.T, runner []string, image string) {
	e := startServer(t, runner...)
	e.run("create", "repo", "in")
	e.runIn(strings.NewReader("x\n"), "put", "file", "in@master:/x")
	spec := strings.Replace(secretPipeline, "IMAGE", image, 1)

	// The secret must exist, with its key, when the pipeline is made.
	wantContains(t, "a pipeline naming a missing secret", e.fail(1, "create", "pipeline", "-f", e.writeFile("p.json", []byte(spec))),
		`secret "db-creds" not found`, "tusk list secret")
	e.run("create", "secret", "-f", e.writeFile("secret.yaml", []byte(secretManifest)))
	noKey := strings.Replace(spec, `"key": "password"`, `"key": "pass"`, 1)
	wantContains(t, "a pipeline naming a missing key", e.fail(1, "create", "pipeline", "-f", e.writeFile("nokey.json", []byte(noKey))),
		`secret db-creds has no key "pass"`)
	robot := e.as(strings.TrimSpace(e.run("auth", "get-robot-token", "ci")), fresh(t))
	e.run("auth", "set", "repo", "in", "repoReader", "robot:ci")
	wantContains(t, "a robot naming a secret", robot.fail(1, "create", "pipeline", "-f", "p.json"), "only a cluster admin may create it")

	e.run("create", "pipeline", "-f", "p.json")
	e.waitJobs(e.headJob("usesecret"))
	if got := e.run("get", "file", "usesecret@master:/pw"); got != secretValue {
		t.Errorf("the code read $DB_PASSWORD as %q, want the secret's value", got)
	}
	logs := e.run("logs", "-p", "usesecret")
	wantContains(t, "logs of the pipeline", logs, "the password is [redacted]")
	inspect := e.run("inspect", "pipeline", "usesecret", "-o", "json")
	wantContains(t, "inspect pipeline", inspect, "db-creds", "DB_PASSWORD")
	for what, out := range map[string]string{"logs": logs, "inspect pipeline": inspect} {
		if strings.Contains(out, secretValue) {
			t.Errorf("%s shows the secret's value:\n%s", what, out)
		}
	}
	wantContains(t, "deleting a secret a pipeline names", e.fail(1, "delete", "secret", "db-creds"), "pipeline usesecret names secret db-creds")
	e.run("delete", "pipeline", "usesecret")
	e.run("delete", "secret", "db-creds")
}
