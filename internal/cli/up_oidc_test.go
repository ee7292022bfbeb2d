package cli

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOIDCConfig(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	loopback := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1650}
	env := envOf(map[string]string{oidcSecretEnv: "from-env"})
	base := oidcOptions{issuer: "https://id.example.com", clientID: "tusk", tokenTTL: 1}

	c, err := base.config(env, loopback, false)
	if err != nil {
		t.Fatal(err)
	}
	if c.ClientSecret != "from-env" || c.RedirectURL != "http://127.0.0.1:1650/auth/callback" {
		t.Errorf("secret %q, redirect %q", c.ClientSecret, c.RedirectURL)
	}
	o := base
	o.secretFile = secret
	if c, err = o.config(env, loopback, true); err != nil {
		t.Fatal(err)
	}
	if c.ClientSecret != "from-file" || c.RedirectURL != "https://127.0.0.1:1650/auth/callback" {
		t.Errorf("secret %q, redirect %q", c.ClientSecret, c.RedirectURL)
	}

	for _, tc := range []struct {
		name   string
		opts   oidcOptions
		listen net.Addr
		want   string
	}{
		{"flags without an issuer", oidcOptions{clientID: "tusk"}, loopback, "need --oidc-issuer"},
		{"a missing secret file", oidcOptions{issuer: "https://id.example.com", secretFile: filepath.Join(t.TempDir(), "none"), tokenTTL: 1}, loopback, "--oidc-client-secret-file"},
		{"all addresses, no redirect URL", base, &net.TCPAddr{IP: net.IPv4zero, Port: 1650}, "give --oidc-redirect-url"},
		{"a token TTL of 0", oidcOptions{issuer: "https://id.example.com"}, loopback, "--oidc-token-ttl"},
	} {
		if _, err := tc.opts.config(env, tc.listen, false); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error about %s", tc.name, err, tc.want)
		}
	}
	if c, err := (oidcOptions{}).config(env, loopback, false); err != nil || c.Issuer != "" {
		t.Errorf("no OIDC flags: %+v, %v", c, err)
	}
}
