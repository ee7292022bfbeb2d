package tlscert

import (
	"crypto/x509"

	"github.com/tuskdata/tusk/internal/tusk"
)

// Pool returns the certificates in pemCerts as a pool of roots to verify
// a server against; a self-signed certificate is its own root.
func Pool(pemCerts []byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemCerts) {
		return nil, tusk.Errorf(tusk.KindInvalid, "no PEM certificate found").
			WithHint("give the server's certificate, or the CA that signed it, in PEM (-----BEGIN CERTIFICATE-----); a self-signed `tusk up` keeps its own in DATA_DIR/tls/cert.pem")
	}
	return pool, nil
}
