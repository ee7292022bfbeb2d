package secret

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/tusk"
)

const yamlManifest = `apiVersion: v1
kind: Secret
metadata:
  name: db-creds
  namespace: ignored
type: kubernetes.io/basic-auth
data:
  username: YWRtaW4=
  password: b2xk
stringData:
  password: s3cr3t
`

func TestParseYAMLAndJSON(t *testing.T) {
	s, err := Parse([]byte(yamlManifest))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "db-creds" || s.Type != "kubernetes.io/basic-auth" {
		t.Errorf("got %s", s)
	}
	if string(s.Data["username"]) != "admin" || string(s.Data["password"]) != "s3cr3t" {
		t.Errorf("values: username %q, password %q; want admin and s3cr3t (stringData wins)", s.Data["username"], s.Data["password"])
	}
	j, err := Parse([]byte(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"tok"},"data":{"token":"YWJj"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if j.Type != DefaultType || string(j.Data["token"]) != "abc" {
		t.Errorf("JSON manifest: got %s, token %q", j, j.Data["token"])
	}
	if strings.Contains(j.String(), "abc") {
		t.Errorf("String shows a value: %s", j)
	}
}

func TestParseRefuses(t *testing.T) {
	for name, doc := range map[string]string{
		"kind":       `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"k":"YQ=="}}`,
		"name":       `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"Bad_Name"},"data":{"k":"YQ=="}}`,
		"no name":    `{"apiVersion":"v1","kind":"Secret","data":{"k":"YQ=="}}`,
		"base64":     `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a"},"data":{"k":"not base64!"}}`,
		"key":        `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a"},"stringData":{"a/b":"x"}}`,
		"no values":  `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a"}}`,
		"not a spec": `[1, 2`,
		"too large":  `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a"},"stringData":{"k":"` + strings.Repeat("x", MaxSize+1) + `"}}`,
	} {
		if _, err := Parse([]byte(doc)); !errors.Is(err, tusk.ErrInvalid) {
			t.Errorf("%s: got %v, want an error of kind invalid", name, err)
		}
	}
}

func TestSealOpen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secret.key")
	k, err := EnsureKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	again, err := EnsureKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data := map[string][]byte{"password": []byte("hunter2-value")}
	sealed, err := k.Seal("db", data)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("hunter2-value")) {
		t.Error("the sealed bytes hold the value in the clear")
	}
	got, err := again.Open("db", sealed)
	if err != nil {
		t.Fatal(err)
	}
	if string(got["password"]) != "hunter2-value" {
		t.Errorf("opened %q", got["password"])
	}
	if _, err := again.Open("other", sealed); err == nil {
		t.Error("sealed bytes opened under another secret's name")
	}
	other, err := EnsureKeyFile(filepath.Join(dir, "other.key"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Open("db", sealed); err == nil {
		t.Error("sealed bytes opened with another key")
	}
	raw := filepath.Join(dir, "raw.key")
	if err := os.WriteFile(raw, bytes.Repeat([]byte{7}, KeySize), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadKeyFile(raw); err != nil {
		t.Errorf("a raw key: %v", err)
	}
	short := filepath.Join(dir, "short.key")
	if err := os.WriteFile(short, []byte("c2hvcnQ=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadKeyFile(short); err == nil {
		t.Error("a key of 5 bytes was taken")
	}
}
