package server

import (
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/tuskdata/tusk/internal/tusk"
)

// Any web page a user visits can send requests to a server on their
// machine: a form or a fetch in no-cors mode reaches it without asking,
// and a name whose DNS the page's owner turns to 127.0.0.1 (DNS
// rebinding) makes the page's origin that of the server. The browser
// guard refuses what only a browser acting for another site would send:
//
//   - a Host the server does not answer to (rebinding reads data, so GETs
//     too);
//   - a request that changes state from another origin (the Origin or
//     Sec-Fetch-Site headers name it; the CLI sends neither);
//   - a request that changes state with a body type that a page may send
//     across origins without the browser asking the server first
//     (text/plain, forms, multipart), or with none.
//
// Requests on the workers' Unix socket skip the Host and Origin checks:
// no browser can open a Unix socket.
type browserGuard struct {
	// names are server names that answer on any port; hosts are
	// host:port pairs.
	names, hosts map[string]bool
	origins      *http.CrossOriginProtection
}

// The media types of the bodies of requests that change state, by route
// pattern; every other such route takes application/json, even with no
// body. A request must say it sends one of its route's types.
var bodyTypes = map[string][]string{
	"PUT /v1/chunks/{id}":     {"application/octet-stream"},
	"POST /v1/files/modify":   {"application/x-ndjson"},
	"POST /v1/pipelines":      specTypes,
	"POST /v1/datums/dry-run": specTypes,
	"POST /v1/secrets":        specTypes,
	"PUT /v1/defaults":        specTypes,
}

// bodyTypesOf returns the body types of the route of pattern.
func bodyTypesOf(pattern string) []string {
	if types, ok := bodyTypes[pattern]; ok {
		return types
	}
	return []string{"application/json"}
}

// specTypes are the body types of routes that take pipeline specs or
// Kubernetes manifests, which are JSON or YAML.
var specTypes = []string{"application/octet-stream", "application/json", "application/yaml"}

// simpleTypes are the body types a page may send to another origin
// without a CORS preflight.
var simpleTypes = []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"}

// loopbackNames answer on the port the server listens on.
var loopbackNames = []string{"localhost", "127.0.0.1", "::1"}

// newBrowserGuard returns the guard of a server that also answers to
// serverNames (a host, on any port, or host:port) and lets pages of
// allowOrigins (scheme://host[:port]) change state.
func newBrowserGuard(serverNames, allowOrigins []string) (*browserGuard, error) {
	g := &browserGuard{names: map[string]bool{}, hosts: map[string]bool{}, origins: http.NewCrossOriginProtection()}
	for _, name := range serverNames {
		if err := g.addServerName(name); err != nil {
			return nil, err
		}
	}
	for _, o := range allowOrigins {
		origin, err := normalOrigin(o)
		if err == nil {
			err = g.origins.AddTrustedOrigin(origin)
		}
		if err != nil {
			return nil, tusk.Errorf(tusk.KindInvalid, "--allow-origin %q: %v", o, err).
				WithHint("give an origin as a browser sends it: scheme://host[:port], such as http://localhost:3000")
		}
	}
	return g, nil
}

func (g *browserGuard) addServerName(name string) error {
	bad := func(why string) error {
		return tusk.Errorf(tusk.KindInvalid, "--server-name %q: %s", name, why).
			WithHint("give a host name, such as tusk.example.com, or host:port to answer to it on that port only")
	}
	if name == "" || strings.ContainsAny(name, "/@?#") {
		return bad("not a host name")
	}
	if host, port, err := net.SplitHostPort(name); err == nil {
		if host == "" || port == "" {
			return bad("no host or no port")
		}
		g.hosts[normalHost(host)+" "+port] = true
		return nil
	}
	g.names[normalHost(name)] = true
	return nil
}

// normalOrigin returns an origin as browsers write it in the Origin
// header: lower case, with no trailing slash.
func normalOrigin(o string) (string, error) {
	u, err := url.Parse(strings.TrimSuffix(o, "/"))
	if err != nil {
		return "", err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("want an http:// or https:// origin")
	}
	u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	return u.String(), nil
}

// normalHost lower-cases a host name and drops a trailing dot and the
// brackets of an IPv6 address.
func normalHost(h string) string {
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	return strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
}

// wrap guards the endpoint of pattern.
func (g *browserGuard) wrap(pattern string, next http.Handler) http.Handler {
	want := bodyTypesOf(pattern)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w.Header())
		if err := g.check(r, want); err != nil {
			writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// check applies the checks to a request to a route that takes bodies of
// the types in want.
func (g *browserGuard) check(r *http.Request, want []string) error {
	if local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); !ok || local.Network() != "unix" {
		if err := g.checkHost(r, local); err != nil {
			return err
		}
		if err := g.checkOrigin(r); err != nil {
			return err
		}
	}
	return checkContentType(r, want)
}

// setSecurityHeaders sets the headers that keep a browser from sniffing
// a response into something else, framing it, or telling other sites
// where its user came from. The content policy allows nothing: an API
// response is data, never a document; the console replaces it with the
// one of its pages.
func setSecurityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; sandbox")
}

// checkHost refuses a request whose Host header names neither the
// address it arrived on nor a name the server answers to.
func (g *browserGuard) checkHost(r *http.Request, local net.Addr) error {
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		host, port = r.Host, "80"
		if r.TLS != nil {
			port = "443"
		}
	}
	host = normalHost(host)
	if g.names[host] || g.hosts[host+" "+port] {
		return nil
	}
	var answers []string
	if tcp, ok := local.(*net.TCPAddr); ok {
		localPort := fmt.Sprint(tcp.Port)
		localIP := tcp.AddrPort().Addr().Unmap()
		if ip, err := netip.ParseAddr(host); err == nil && ip.Unmap() == localIP && port == localPort {
			return nil
		}
		if slices.Contains(loopbackNames, host) && port == localPort {
			return nil
		}
		answers = append(answers, net.JoinHostPort(localIP.String(), localPort))
		for _, name := range loopbackNames {
			answers = append(answers, net.JoinHostPort(name, localPort))
		}
	}
	for name := range g.names {
		answers = append(answers, name)
	}
	for hp := range g.hosts {
		h, p, _ := strings.Cut(hp, " ")
		answers = append(answers, net.JoinHostPort(h, p))
	}
	slices.Sort(answers)
	return tusk.Errorf(tusk.KindForbidden, "refused a request for host %q: this server answers to %s only, and a page of another name may be one whose DNS now points here",
		r.Host, strings.Join(slices.Compact(answers), ", ")).
		WithHint("if you reach tusk by that name, start it with: tusk up --server-name %s", host)
}

// checkOrigin refuses a request that changes state and that a browser
// sent for a page of another origin, unless that origin is allowed.
func (g *browserGuard) checkOrigin(r *http.Request) error {
	if g.origins.Check(r) == nil {
		return nil
	}
	origin, allow := r.Header.Get("Origin"), r.Header.Get("Origin")
	if origin == "" {
		origin = "(not given; Sec-Fetch-Site: " + r.Header.Get("Sec-Fetch-Site") + ")"
	}
	if allow == "" || allow == "null" {
		allow = "SCHEME://HOST:PORT"
	}
	return tusk.Errorf(tusk.KindForbidden, "refused %s %s from a page of origin %s: only the server's own pages may change data from a browser",
		r.Method, r.URL.Path, origin).
		WithHint("to let pages of that origin use the API, start tusk with: tusk up --allow-origin %s", allow)
}

// checkContentType refuses a request that changes state unless it says
// that its body is of one of the types in want.
func checkContentType(r *http.Request, want []string) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && slices.Contains(want, mt) {
		return nil
	}
	why := "a request that changes data must say what its body is, even an empty one"
	if slices.Contains(simpleTypes, mt) {
		why = "any web page can send " + mt + " to this server, so requests that change data may not use it"
	} else if ct != "" {
		why = "this route takes " + strings.Join(want, " or ")
	}
	return tusk.Errorf(tusk.KindForbidden, "refused %s %s with Content-Type %q: %s", r.Method, r.URL.Path, ct, why).
		WithHint("send the header Content-Type: %s (with curl: -H 'Content-Type: %s')", want[0], want[0])
}
