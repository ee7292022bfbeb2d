package server

import (
	"crypto/tls"
	"path/filepath"
	"time"

	"github.com/tuskdata/tusk/internal/tlscert"
	"github.com/tuskdata/tusk/internal/tusk"
)

// TLSConfig says whether and how a server serves its API over TLS; the
// zero value serves plain HTTP. The worker socket is always plain: it is
// a Unix socket.
type TLSConfig struct {
	// CertFile and KeyFile are a certificate (with its chain) and its
	// private key, PEM.
	CertFile, KeyFile string
	// SelfSigned, without CertFile, serves a self-signed certificate kept
	// in DataDir/tls, made at the first start (tlscert.SelfSigned) for
	// the listen host, the ServerNames and loopback.
	SelfSigned bool
}

// Certificate is the certificate a server presents over TLS.
type Certificate struct {
	Fingerprint tlscert.Fingerprint
	// File holds the certificate in PEM: the one given, or the
	// self-signed one in the data directory.
	File       string
	SelfSigned bool
	// Made says why a self-signed certificate was made at this start; ""
	// when the kept one serves or the certificate was given.
	Made string
}

// loadTLS loads or makes the certificate cfg.TLS asks for.
func (s *Server) loadTLS() error {
	c := s.cfg.TLS
	var (
		cert tls.Certificate
		err  error
	)
	switch {
	case c.CertFile != "" || c.KeyFile != "":
		if cert, err = tlscert.Load(c.CertFile, c.KeyFile); err != nil {
			return err
		}
		s.cert = &Certificate{File: c.CertFile}
	case c.SelfSigned:
		if s.cfg.DataDir == "" {
			return tusk.Errorf(tusk.KindInvalid, "a self-signed certificate is kept in the data directory, and there is none").
				WithHint("give --data-dir, or a certificate with --tls-cert and --tls-key")
		}
		dir := filepath.Join(s.cfg.DataDir, "tls")
		hosts, extra := tlscert.Names(s.cfg.Listen, s.cfg.ServerNames)
		var made string
		if cert, made, err = tlscert.SelfSigned(dir, hosts, extra, time.Now()); err != nil {
			return err
		}
		s.cert = &Certificate{File: filepath.Join(dir, tlscert.CertFile), SelfSigned: true, Made: made}
	default:
		return nil
	}
	s.cert.Fingerprint = tlscert.FingerprintOf(cert.Certificate[0])
	if s.cert.Made != "" {
		s.log.Info("made a self-signed certificate, because "+s.cert.Made, "file", s.cert.File, "fingerprint", s.cert.Fingerprint.String())
	}
	// HTTP/1.1, as without TLS, so that both serve the API alike.
	s.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
	return nil
}

// Certificate returns the certificate the server presents, and false if
// it serves plain HTTP.
func (s *Server) Certificate() (Certificate, bool) {
	if s.cert == nil {
		return Certificate{}, false
	}
	return *s.cert, true
}
