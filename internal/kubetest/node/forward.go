package node

import (
	"context"
	"fmt"
	"io"
	"net"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// apiServerOf returns the address (host:port) of the API server the
// client talks to, or "" for a client that has none (the fake).
func apiServerOf(client kubernetes.Interface) string {
	rc, ok := client.CoreV1().RESTClient().(*rest.RESTClient)
	if !ok || rc == nil {
		return ""
	}
	u := rc.Get().URL()
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "http" {
		return net.JoinHostPort(u.Hostname(), "80")
	}
	return net.JoinHostPort(u.Hostname(), "443")
}

// forward listens on the gateway and forwards each connection to target
// until ctx ends, when it closes the listener and the connections. It
// returns the port it listens on.
func (n *Node) forward(ctx context.Context, target string) (string, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(n.Gateway, "0"))
	if err != nil {
		return "", fmt.Errorf("forwarding the API server: %w", err)
	}
	n.go_(func() {
		<-ctx.Done()
		l.Close()
	})
	n.go_(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go pipe(ctx, c, target)
		}
	})
	_, port, err := net.SplitHostPort(l.Addr().String())
	return port, err
}

// pipe copies between c and a new connection to target until either
// side closes or ctx ends.
func pipe(ctx context.Context, c net.Conn, target string) {
	defer c.Close()
	var d net.Dialer
	u, err := d.DialContext(ctx, "tcp", target)
	if err != nil {
		return
	}
	defer u.Close()
	stop := context.AfterFunc(ctx, func() {
		c.Close()
		u.Close()
	})
	defer stop()
	go func() {
		_, _ = io.Copy(u, c)
		if tc, ok := u.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}()
	_, _ = io.Copy(c, u)
}
