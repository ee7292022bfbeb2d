package tlscert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Files of the self-signed certificate in its directory.
const (
	CertFile = "cert.pem"
	KeyFile  = "key.pem" // mode 0600
)

const (
	// validity is how long a self-signed certificate is valid.
	validity = 5 * 365 * 24 * time.Hour
	// renewBefore is how long before it expires a certificate is replaced.
	renewBefore = 30 * 24 * time.Hour
)

// SelfSigned returns the self-signed certificate kept in dir, and why it
// made a new one ("" when the kept one serves). It makes one, replacing
// the kept one, when there is none, when the kept one does not name every
// host in hosts (names or IP addresses) or when it expires within 30 days.
// A new certificate names hosts and extra: extra names, such as the
// addresses of the machine's interfaces, which may change, never make a
// new one, so its fingerprint stays what clients pinned.
func SelfSigned(dir string, hosts, extra []string, now time.Time) (tls.Certificate, string, error) {
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	why := ""
	switch {
	case errors.Is(err, fs.ErrNotExist):
		why = "there was none in " + dir
	case err != nil:
		why = fmt.Sprintf("the one in %s is unreadable (%v)", dir, err)
	case now.Add(renewBefore).After(cert.Leaf.NotAfter):
		why = fmt.Sprintf("the one in %s expires on %s", dir, cert.Leaf.NotAfter.Format(time.DateOnly))
	default:
		for _, h := range hosts {
			if cert.Leaf.VerifyHostname(h) != nil {
				why = fmt.Sprintf("the one in %s does not name %s", dir, h)
				break
			}
		}
	}
	if why == "" {
		return cert, "", nil
	}
	certPEM, keyPEM, err := generate(append(append([]string(nil), hosts...), extra...), now)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return tls.Certificate{}, "", fmt.Errorf("keep the self-signed certificate: %w", err)
	}
	if err := writeFile(keyPath, keyPEM, 0o600); err != nil {
		return tls.Certificate{}, "", err
	}
	if err := writeFile(certPath, certPEM, 0o644); err != nil {
		return tls.Certificate{}, "", err
	}
	cert, err = tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("load the new self-signed certificate: %w", err)
	}
	return cert, why, nil
}

// generate makes a self-signed ECDSA P-256 certificate for a server named
// by hosts, and returns it and its key in PEM.
func generate(hosts []string, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("make a key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, fmt.Errorf("make a serial number: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"Tusk"}, CommonName: "tusk server (self-signed)"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	seen := map[string]bool{}
	for _, h := range hosts {
		if h == "" || seen[h] {
			continue
		}
		seen[h] = true
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("make a self-signed certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encode the key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// writeFile replaces path with data, atomically: a reader sees the old
// file or the new one, whole.
func writeFile(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, werr := tmp.Write(data)
	err = errors.Join(werr, tmp.Chmod(mode), tmp.Sync(), tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
