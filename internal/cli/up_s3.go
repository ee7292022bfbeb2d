package cli

import (
	"fmt"
	"io"
	"net"
)

// defaultS3Addr is where tusk up serves the S3 gateway when --listen is
// left at its default: Pachyderm's gateway port.
const defaultS3Addr = "127.0.0.1:1600"

// s3Addr returns where the S3 gateway listens: --s3-addr, else
// defaultS3Addr when --listen is the default, else nowhere ("").
func s3Addr(opts upOptions, listenIsDefault bool) string {
	switch {
	case opts.s3Addr == "off":
		return ""
	case opts.s3Addr != "":
		return opts.s3Addr
	case listenIsDefault:
		return defaultS3Addr
	}
	return ""
}

// listenS3 opens the S3 gateway's listener, or returns nil when there is
// none. An address other machines may reach needs authentication on, or
// --insecure, as the API's does.
func listenS3(opts upOptions, authActive bool) (net.Listener, error) {
	addr := s3Addr(opts, opts.listen == defaultListen)
	if addr == "" {
		return nil, nil
	}
	if _, err := beyondLoopback(addr); err != nil {
		return nil, usagef("--s3-addr %q: want host:port, such as %s, or off", addr, defaultS3Addr)
	}
	if err := checkExposure(addr, opts.insecure, authActive); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("tusk up: the S3 gateway: %w; give another --s3-addr, or --s3-addr off", err)
	}
	return ln, nil
}

// announceS3 prints where the S3 gateway listens.
func announceS3(w io.Writer, ln net.Listener, secure bool) {
	scheme := "http"
	if secure {
		scheme = "https"
	}
	fmt.Fprintf(w, "  S3:       %s://%s (path style, buckets branch.repo; docs/s3.md)\n", scheme, ln.Addr())
}
