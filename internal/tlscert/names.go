package tlscert

import (
	"net"
	"os"
)

// Names returns the hosts a self-signed certificate of a server listening
// on listen (host:port) must name, and the extra ones it should: the
// loopback names, the listen host and the hosts of names (host or
// host:port, the names clients use to reach it) must be named; for a server listening on every interface
// (0.0.0.0, [::] or no host), the machine's name and the addresses of its
// interfaces should be, as clients may use them.
func Names(listen string, names []string) (hosts, extra []string) {
	hosts = []string{"localhost", "127.0.0.1", "::1"}
	for _, n := range names {
		if h, _, err := net.SplitHostPort(n); err == nil {
			n = h
		}
		hosts = append(hosts, n)
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return hosts, nil
	}
	if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
		return append(hosts, host), nil
	}
	if name, err := os.Hostname(); err == nil {
		extra = append(extra, name)
	}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			extra = append(extra, n.IP.String())
		}
	}
	return hosts, extra
}
