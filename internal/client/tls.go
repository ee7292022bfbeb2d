package client

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/tuskdata/tusk/internal/tlscert"
	"github.com/tuskdata/tusk/internal/tusk"
)

// trust says which certificates a client accepts from a server it
// reaches over https.
type trust struct {
	roots *x509.CertPool       // nil: the system's CAs
	pin   *tlscert.Fingerprint // the one certificate accepted, if set
}

// ServerCA trusts the server certificates that the certificates in roots
// sign, and a self-signed certificate that roots holds itself, in place of
// the system's CAs.
func ServerCA(roots *x509.CertPool) Option {
	return func(c *Client) { c.trust.roots = roots }
}

// ServerFingerprint accepts only the server certificate with fingerprint
// f, whoever signed it and whatever names it holds; with ServerCA too,
// the certificate must also be signed by those roots for the server's
// name.
func ServerFingerprint(f tlscert.Fingerprint) Option {
	return func(c *Client) { c.trust.pin = &f }
}

// config returns the TLS configuration that trusts what t says.
func (t trust) config() *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: t.roots}
	if t.pin == nil {
		return cfg
	}
	pin, roots := *t.pin, t.roots
	// The usual checks are replaced by the pin's, and the chain's when
	// there are roots, in VerifyConnection.
	cfg.InsecureSkipVerify = true
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		leaf := cs.PeerCertificates[0]
		if got := tlscert.FingerprintOf(leaf.Raw); !got.Equal(pin) {
			return &pinError{got: got, want: pin}
		}
		if roots == nil {
			return nil
		}
		chain := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			chain.AddCert(c)
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: chain, DNSName: cs.ServerName}); err != nil {
			return &tls.CertificateVerificationError{UnverifiedCertificates: cs.PeerCertificates, Err: err}
		}
		return nil
	}
	return cfg
}

// pinError is a server certificate other than the pinned one.
type pinError struct{ got, want tlscert.Fingerprint }

func (e *pinError) Error() string {
	return fmt.Sprintf("certificate %s is not the pinned %s", e.got, e.want)
}

// untrusted returns the error for a server at base whose certificate the
// client does not trust, saying how to trust it, or nil if err is
// another failure.
func untrusted(base string, err error) error {
	var pe *pinError
	if errors.As(err, &pe) {
		return tusk.Errorf(tusk.KindUnavailable, "the server at %s presented the certificate %s, not the pinned %s", base, pe.got, pe.want).
			WithHint("if the server's certificate was replaced on purpose (tusk up prints its fingerprint when it starts), pin the new one: tusk config set context NAME --server-fingerprint %s", pe.got)
	}
	var ve *tls.CertificateVerificationError
	if errors.As(err, &ve) && len(ve.UnverifiedCertificates) > 0 {
		fp := tlscert.FingerprintOf(ve.UnverifiedCertificates[0].Raw)
		return tusk.Errorf(tusk.KindUnavailable, "the server at %s presented a certificate tusk does not trust (%s): %v", base, fp, ve.Err).
			WithHint("if that is the fingerprint tusk up printed, pin it: tusk config set context NAME --address %s --server-fingerprint %s; or give the server's certificate, or its CA, with --server-ca FILE", base, fp)
	}
	return nil
}
