package server

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tlscert"
	"github.com/tuskdata/tusk/internal/tlscert/tlscerttest"
	"github.com/tuskdata/tusk/internal/tusk"
)

// newClient returns a client of a cluster admin of s at addr.
func newClient(t *testing.T, s *Server, addr string, opts ...client.Option) *client.Client {
	t.Helper()
	token, _, err := s.AdminToken(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(addr, append(opts, client.WithToken(token))...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func poolOf(t *testing.T, file string) *x509.CertPool {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := tlscert.Pool(data)
	if err != nil {
		t.Fatal(err)
	}
	return pool
}

func fingerprintOfFile(t *testing.T, file string) tlscert.Fingerprint {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(data)
	if b == nil {
		t.Fatalf("%s holds no PEM", file)
	}
	return tlscert.FingerprintOf(b.Bytes)
}

// wantUntrusted checks that err refuses an untrusted certificate, names
// its fingerprint and says how to trust it.
func wantUntrusted(t *testing.T, err error, fp tlscert.Fingerprint, hints ...string) {
	t.Helper()
	var te *tusk.Error
	if !errors.As(err, &te) || !strings.Contains(te.Message, fp.String()) {
		t.Fatalf("err = %v, want a refusal naming the certificate %s", err, fp)
	}
	for _, h := range hints {
		if !strings.Contains(te.Hint, h) {
			t.Errorf("hint %q lacks %q", te.Hint, h)
		}
	}
}

func TestTLSWithGivenCertificate(t *testing.T) {
	ctx := context.Background()
	files := tlscerttest.Issue(t, t.TempDir(), "127.0.0.1", "localhost")
	s, addr, _ := serveWith(t, Config{DataDir: t.TempDir(), TLS: TLSConfig{CertFile: files.Cert, KeyFile: files.Key}})
	cert, ok := s.Certificate()
	if want := fingerprintOfFile(t, files.Cert); !ok || cert.SelfSigned || !cert.Fingerprint.Equal(want) || cert.File != files.Cert {
		t.Fatalf("Certificate() = %+v, %v; want the given one, %s", cert, ok, want)
	}

	trusting := newClient(t, s, "https://"+addr, client.ServerCA(poolOf(t, files.CA)))
	if _, err := trusting.CreateRepo(ctx, "images", ""); err != nil {
		t.Fatalf("a client trusting the CA: %v", err)
	}
	if _, err := newClient(t, s, "https://localhost:"+portOf(addr), client.ServerCA(poolOf(t, files.CA))).InspectRepo(ctx, "images"); err != nil {
		t.Errorf("a client trusting the CA, by name: %v", err)
	}

	_, err := newClient(t, s, "https://"+addr).ListRepos(ctx)
	wantUntrusted(t, err, cert.Fingerprint, "--server-ca", "--server-fingerprint "+cert.Fingerprint.String())

	_, err = newClient(t, s, "http://"+addr).ListRepos(ctx)
	if te := (*tusk.Error)(nil); !errors.As(err, &te) || !strings.Contains(te.Hint, "https://"+addr) {
		t.Errorf("plain http to a TLS server = %v, want a hint to use https://%s", err, addr)
	}
}

func TestTLSSelfSigned(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, addr, stop := serveWith(t, Config{DataDir: dir, ServerNames: []string{"tusk.example:1650"}, TLS: TLSConfig{SelfSigned: true}})
	cert, ok := s.Certificate()
	if !ok || !cert.SelfSigned || cert.Made == "" || cert.File != filepath.Join(dir, "tls", tlscert.CertFile) {
		t.Fatalf("Certificate() = %+v, %v; want a self-signed one made now in %s/tls", cert, ok, dir)
	}
	if fi, err := os.Stat(filepath.Join(dir, "tls", tlscert.KeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the key: %v; want mode 0600", err)
	}
	if got := fingerprintOfFile(t, cert.File); !got.Equal(cert.Fingerprint) {
		t.Errorf("the kept certificate is %s, the server presents %s", got, cert.Fingerprint)
	}

	pinned := newClient(t, s, "https://"+addr, client.ServerFingerprint(cert.Fingerprint))
	if _, err := pinned.CreateRepo(ctx, "images", ""); err != nil {
		t.Fatalf("a client pinning the fingerprint: %v", err)
	}
	// The certificate is its own CA, for the names it holds.
	if _, err := newClient(t, s, "https://"+addr, client.ServerCA(poolOf(t, cert.File))).InspectRepo(ctx, "images"); err != nil {
		t.Errorf("a client trusting the certificate as its CA: %v", err)
	}
	_, err := newClient(t, s, "https://"+addr).ListRepos(ctx)
	wantUntrusted(t, err, cert.Fingerprint, "--server-ca", "--server-fingerprint")

	other := tlscert.FingerprintOf([]byte("another certificate"))
	_, err = newClient(t, s, "https://"+addr, client.ServerFingerprint(other)).ListRepos(ctx)
	wantUntrusted(t, err, cert.Fingerprint, "--server-fingerprint "+cert.Fingerprint.String())

	// The workers' socket stays plain HTTP.
	if _, err := newClient(t, s, "unix://"+filepath.Join(dir, "tusk.sock")).InspectRepo(ctx, "images"); err != nil {
		t.Errorf("the worker socket: %v", err)
	}

	// A restart serves the kept certificate, so pins hold.
	stop()
	s, addr, _ = serveWith(t, Config{DataDir: dir, ServerNames: []string{"tusk.example:1650"}, TLS: TLSConfig{SelfSigned: true}})
	again, _ := s.Certificate()
	if again.Made != "" || !again.Fingerprint.Equal(cert.Fingerprint) {
		t.Errorf("after a restart: %+v; want the kept certificate %s", again, cert.Fingerprint)
	}
	if _, err := newClient(t, s, "https://"+addr, client.ServerFingerprint(cert.Fingerprint)).InspectRepo(ctx, "images"); err != nil {
		t.Errorf("the pinned client after a restart: %v", err)
	}
}

func TestTLSRefusesBadCertificateFiles(t *testing.T) {
	files := tlscerttest.Issue(t, t.TempDir(), "127.0.0.1")
	_, err := New(context.Background(), Config{DataDir: t.TempDir(), TLS: TLSConfig{CertFile: files.Cert, KeyFile: files.CA}})
	var te *tusk.Error
	if !errors.As(err, &te) || te.Kind != tusk.KindInvalid || !strings.Contains(te.Hint, "--tls-key") {
		t.Errorf("a certificate with the wrong key = %v, want an invalid-argument error naming --tls-key", err)
	}
}

func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}
