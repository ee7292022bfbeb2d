package console_test

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tuskdata/tusk/internal/server"
	"github.com/tuskdata/tusk/internal/tusktest"
)

// TestConsoleOverTLS opens the console of a server with a self-signed
// certificate, which the browser trusts by its public key as a user who
// accepted it would, and sees a page update live over https.
func TestConsoleOverTLS(t *testing.T) {
	srv, api, _ := tusktest.StartServer(t, server.Config{DataDir: t.TempDir(), Runner: "process", WorkerBinary: workerBinary,
		TLS: server.TLSConfig{SelfSigned: true}})
	e := &env{t: t, ctx: t.Context(), srv: srv, api: api, baseURL: api.Address()}
	if !strings.HasPrefix(e.baseURL, "https://") {
		t.Fatalf("the server's address is %s, want https", e.baseURL)
	}
	cert, _ := srv.Certificate()
	b := newBrowser(t, e, chromedp.Flag("ignore-certificate-errors-spki-list", spkiHash(t, cert.File)))

	if _, err := api.CreateRepo(e.ctx, "images", ""); err != nil {
		t.Fatal(err)
	}
	b.do("open a repo over https", chromedp.Navigate(b.base+"/repos/images"), chromedp.WaitVisible(chromedp.CSS("#commits")))
	b.contains("h1", "images")
	c := e.put("images", "/cat.png", "meow")
	b.do("see the new commit arrive", chromedp.WaitVisible(chromedp.CSS(`#commits a[href="/repos/images/commits/`+c.ID+`"]`)))
}

// spkiHash returns the base64 SHA-256 of the public key of the PEM
// certificate in file, as Chromium's --ignore-certificate-errors-spki-list
// takes it.
func spkiHash(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("%s holds no PEM", file)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}
