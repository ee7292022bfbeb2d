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

// S3Handler returns the S3 gateway over the server's file system. The
// browser guard's checks of the Host (against DNS rebinding) and of the
// origin of requests that change data apply to it as to the API, and its
// answers carry the same security headers; S3 clients send no Origin, and
// bodies of any type.
func (s *Server) S3Handler() http.Handler {
	guard := func(r *http.Request) error {
		local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
		if err := s.browser.checkHost(r, local); err != nil {
			return err
		}
		return s.browser.checkOrigin(r)
	}
	gw := s3gw.New(defaultProjectFS{s.pfs}, s3Identities{s}, guard, s.log)
	return s.metrics.wrap("s3", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w.Header())
		gw.ServeHTTP(w, r)
	}))
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
