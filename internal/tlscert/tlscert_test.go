package tlscert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

func TestParseFingerprint(t *testing.T) {
	f := FingerprintOf([]byte("a certificate"))
	colons := strings.ToUpper(hex.EncodeToString(f[:]))
	var pairs []string
	for i := 0; i < len(colons); i += 2 {
		pairs = append(pairs, colons[i:i+2])
	}
	for _, s := range []string{
		f.String(),
		" " + f.String() + "\n",
		strings.TrimPrefix(f.String(), "SHA256:"),
		hex.EncodeToString(f[:]),
		strings.Join(pairs, ":"),
		"sha256 Fingerprint=" + strings.Join(pairs, ":"),
		"SHA256:" + strings.Join(pairs, ":"),
	} {
		got, err := ParseFingerprint(s)
		if err != nil || !got.Equal(f) {
			t.Errorf("ParseFingerprint(%q) = %v, %v; want %v", s, got, err, f)
		}
	}
	for _, s := range []string{"", "SHA256:", "SHA256:abc", "MD5:" + f.String()[7:], hex.EncodeToString(f[:31])} {
		if _, err := ParseFingerprint(s); !errors.Is(err, tusk.ErrInvalid) {
			t.Errorf("ParseFingerprint(%q) = %v, want an invalid-argument error", s, err)
		}
	}
}

func TestSelfSignedIsKept(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	now := time.Now()
	cert, why, err := SelfSigned(dir, []string{"localhost", "10.1.2.3"}, []string{"box.example"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if why == "" {
		t.Error("the first certificate was not reported as made")
	}
	leaf := cert.Leaf
	if k, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
		t.Errorf("key is %T, want ECDSA P-256", leaf.PublicKey)
	}
	for _, h := range []string{"localhost", "10.1.2.3", "box.example"} {
		if err := leaf.VerifyHostname(h); err != nil {
			t.Errorf("the certificate does not name %s: %v", h, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, KeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	// The kept certificate serves a later start, even when an extra name
	// (an interface address that changed) is new.
	again, why, err := SelfSigned(dir, []string{"localhost"}, []string{"10.9.9.9"}, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if why != "" || !FingerprintOf(again.Certificate[0]).Equal(FingerprintOf(cert.Certificate[0])) {
		t.Errorf("a second start made a new certificate (%s)", why)
	}
	// Pinning the kept certificate as a CA verifies it for its names.
	pemCert, err := os.ReadFile(filepath.Join(dir, CertFile))
	if err != nil {
		t.Fatal(err)
	}
	pool, err := Pool(pemCert)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost"}); err != nil {
		t.Errorf("the certificate does not verify against itself as the CA: %v", err)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "elsewhere.example"}); err == nil {
		t.Error("the certificate verified for a name it does not hold")
	}
}

func TestSelfSignedIsReplaced(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	first, _, err := SelfSigned(dir, []string{"localhost"}, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		hosts []string
		now   time.Time
		why   string
	}{
		{"a new listen host", []string{"localhost", "tusk.example"}, now, "does not name tusk.example"},
		{"near expiry", []string{"localhost", "tusk.example"}, now.Add(validity - renewBefore/2), "expires on"},
	} {
		cert, why, err := SelfSigned(dir, tc.hosts, nil, tc.now)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(why, tc.why) {
			t.Errorf("%s: made a new certificate because %q, want %q", tc.name, why, tc.why)
		}
		if FingerprintOf(cert.Certificate[0]).Equal(FingerprintOf(first.Certificate[0])) {
			t.Errorf("%s: the certificate was kept", tc.name)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, CertFile), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, why, err := SelfSigned(dir, []string{"localhost"}, nil, now); err != nil || !strings.Contains(why, "unreadable") {
		t.Errorf("a damaged certificate: why %q, err %v; want it replaced as unreadable", why, err)
	}
}

func TestPoolRefusesNonPEM(t *testing.T) {
	if _, err := Pool([]byte("not a certificate")); !errors.Is(err, tusk.ErrInvalid) || !strings.Contains(err.Error(), "PEM") {
		t.Errorf("Pool of garbage = %v, want an error naming PEM", err)
	}
}

func TestNames(t *testing.T) {
	hosts, extra := Names("10.1.2.3:1650", []string{"tusk.example", "other.example:8443"})
	for _, h := range []string{"localhost", "127.0.0.1", "::1", "tusk.example", "other.example", "10.1.2.3"} {
		if !slices.Contains(hosts, h) {
			t.Errorf("Names(10.1.2.3:1650) hosts %v lack %s", hosts, h)
		}
	}
	if len(extra) != 0 {
		t.Errorf("a specific listen host has extra names %v", extra)
	}
	name, err := os.Hostname()
	if err != nil {
		t.Skip(err)
	}
	for _, listen := range []string{"0.0.0.0:1650", ":1650", "[::]:1650"} {
		hosts, extra := Names(listen, nil)
		if !slices.Contains(extra, name) || slices.Contains(hosts, "0.0.0.0") || slices.Contains(hosts, "::") {
			t.Errorf("Names(%s) = %v, %v; want the host name %s as an extra name and no unspecified address", listen, hosts, extra, name)
		}
	}
}
