package docker

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// decodeAuth decodes an X-Registry-Auth header.
func decodeAuth(t *testing.T, header string) registryAuth {
	t.Helper()
	var a registryAuth
	b, err := base64.URLEncoding.DecodeString(header)
	if err != nil {
		t.Fatalf("X-Registry-Auth %q is not base64url: %v", header, err)
	}
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatalf("X-Registry-Auth %s: %v", b, err)
	}
	return a
}

func writeConfig(t *testing.T, config string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestPullAuthFromAuths(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte("alice:s3:cret"))
	dir := writeConfig(t, `{"auths": {
		"127.0.0.1:5000": {"auth": "`+basic+`"},
		"https://reg.example.com/v2/": {"username": "bob", "password": "pw"},
		"https://index.docker.io/v1/": {"auth": "`+base64.StdEncoding.EncodeToString([]byte("hub:token"))+`"},
		"ghcr.io": {"identitytoken": "idtok"},
		"empty.example.com": {}
	}}`)
	for domain, want := range map[string]registryAuth{
		"127.0.0.1:5000":  {Username: "alice", Password: "s3:cret", ServerAddress: "127.0.0.1:5000"},
		"reg.example.com": {Username: "bob", Password: "pw", ServerAddress: "reg.example.com"},
		"docker.io":       {Username: "hub", Password: "token", ServerAddress: hubServer},
		"ghcr.io":         {IdentityToken: "idtok", ServerAddress: "ghcr.io"},
	} {
		h, err := pullAuth(dir, domain)
		if err != nil {
			t.Fatalf("%s: %v", domain, err)
		}
		if h == "" {
			t.Errorf("%s: no credentials, want %+v", domain, want)
			continue
		}
		if got := decodeAuth(t, h); got != want {
			t.Errorf("%s: %+v, want %+v", domain, got, want)
		}
	}
	for _, domain := range []string{"127.0.0.1:5001", "empty.example.com", "quay.io"} {
		if h, err := pullAuth(dir, domain); h != "" || err != nil {
			t.Errorf("%s: %q, %v; want no credentials", domain, h, err)
		}
	}
	if h, err := pullAuth(t.TempDir(), "127.0.0.1:5000"); h != "" || err != nil {
		t.Errorf("without a config: %q, %v; want no credentials", h, err)
	}
}

func TestPullAuthFromHelper(t *testing.T) {
	bin := t.TempDir()
	// A credential helper answers "get" with the server's credentials as
	// JSON, or "credentials not found in native keychain".
	helper := `#!/bin/sh
read server
case "$server" in
reg.example.com) echo '{"ServerURL": "reg.example.com", "Username": "carol", "Secret": "pw"}' ;;
tok.example.com) echo '{"ServerURL": "tok.example.com", "Username": "<token>", "Secret": "idtok"}' ;;
*) echo "credentials not found in native keychain"; exit 1 ;;
esac
`
	if err := os.WriteFile(filepath.Join(bin, "docker-credential-tusktest"), []byte(helper), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	dir := writeConfig(t, `{"credsStore": "tusktest", "credHelpers": {"other.example.com": "missing"}}`)
	for domain, want := range map[string]registryAuth{
		"reg.example.com": {Username: "carol", Password: "pw", ServerAddress: "reg.example.com"},
		"tok.example.com": {IdentityToken: "idtok", ServerAddress: "tok.example.com"},
	} {
		h, err := pullAuth(dir, domain)
		if err != nil || h == "" {
			t.Fatalf("%s: %q, %v", domain, h, err)
		}
		if got := decodeAuth(t, h); got != want {
			t.Errorf("%s: %+v, want %+v", domain, got, want)
		}
	}
	if h, err := pullAuth(dir, "none.example.com"); h != "" || err != nil {
		t.Errorf("a server the helper does not know: %q, %v; want no credentials", h, err)
	}
	_, err := pullAuth(dir, "other.example.com")
	if err == nil || !strings.Contains(err.Error(), "docker-credential-missing") || !strings.Contains(err.Error(), "install it") {
		t.Errorf("a helper that is not installed: %v, want an error naming docker-credential-missing", err)
	}
}
