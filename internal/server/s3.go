package server

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"time"

	"github.com/tuskdata/tusk/internal/auth"
	"github.com/tuskdata/tusk/internal/s3gw"
)

// s3Identities authenticates the S3 gateway's callers with the server's
// tokens.
type s3Identities struct{ s *Server }

func (i s3Identities) AuthActive() bool { return i.s.authActive.Load() }

func (i s3Identities) Authenticate(ctx context.Context, token string) (auth.Grants, error) {
	return i.s.auth.Authenticate(ctx, token)
}

// S3Handler returns the S3 gateway over the server's file system.
func (s *Server) S3Handler() http.Handler {
	return s.metrics.wrap("s3", s3gw.New(s.pfs, s3Identities{s}, s.log))
}

// ServeS3 serves the S3 gateway on ln, over TLS if the server has a
// certificate, until ctx ends.
func (s *Server) ServeS3(ctx context.Context, ln net.Listener) error {
	if s.tls != nil {
		ln = tls.NewListener(ln, s.tls)
	}
	srv := &http.Server{Handler: s.S3Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close()
	}
	return nil
}
