package tlscert

import (
	"crypto/tls"

	"github.com/tuskdata/tusk/internal/tusk"
)

// Load reads a certificate (with its chain) and its private key, both PEM.
func Load(certFile, keyFile string) (tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, tusk.Errorf(tusk.KindInvalid, "load the TLS certificate %s and key %s: %v", certFile, keyFile, err).
			WithHint("give --tls-cert a PEM certificate and --tls-key its PEM private key, or leave both out for a self-signed certificate")
	}
	return cert, nil
}
