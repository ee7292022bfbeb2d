package dockerengine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// The Engine API versions the client speaks: the requests its users make
// are the same from Docker 20.10 (API 1.41) on; newer engines are asked for
// maxAPI, which they all still serve.
const (
	minAPI = "1.41"
	maxAPI = "1.47"
)

// defaultEngine is the engine socket when neither the caller nor
// DOCKER_HOST names one.
const defaultEngine = "/var/run/docker.sock"

// Client is a small client of the Docker Engine API over its Unix socket.
type Client struct {
	sock   string
	http   *http.Client
	prefix string // "/v1.41": the negotiated API version
}

// Socket returns the path of the engine's socket: sock if given, else
// DOCKER_HOST (which must be unix://…), else the default.
func Socket(sock string) (string, error) {
	if sock != "" {
		return strings.TrimPrefix(sock, "unix://"), nil
	}
	host := os.Getenv("DOCKER_HOST")
	if host == "" {
		return defaultEngine, nil
	}
	if p, ok := strings.CutPrefix(host, "unix://"); ok {
		return p, nil
	}
	return "", fmt.Errorf("DOCKER_HOST=%q: Tusk reaches the Docker engine over a Unix socket only (unix:///path)", host)
}

// New returns a client of the engine at the socket sock. Until Negotiate,
// its requests are unversioned.
func New(sock string) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     time.Minute,
	}
	return &Client{sock: sock, http: &http.Client{Transport: tr}}
}

// APIError is an error answer of the engine.
type APIError struct {
	Status  int // HTTP status
	Message string
}

func (e *APIError) Error() string { return e.Message }

// IsStatus reports whether err is an engine answer with this HTTP status.
func IsStatus(err error, status int) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == status
}

// Send makes a request; path is versioned with the negotiated prefix. An
// answer with an error status becomes an *APIError.
func (e *Client) Send(ctx context.Context, method, path string, query url.Values, in any) (*http.Response, error) {
	return e.SendWith(ctx, method, path, query, nil, in)
}

// SendWith is Send with headers of the caller's.
func (e *Client) SendWith(ctx context.Context, method, path string, query url.Values, header http.Header, in any) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	u := url.URL{Scheme: "http", Host: "docker", Path: e.prefix + path, RawQuery: query.Encode()}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("docker engine at %s: %w", e.sock, err)
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		var msg struct{ Message string }
		if json.Unmarshal(b, &msg) != nil || msg.Message == "" {
			msg.Message = strings.TrimSpace(string(b))
		}
		return nil, &APIError{Status: resp.StatusCode, Message: msg.Message}
	}
	return resp, nil
}

// Call makes a request and decodes its JSON answer into out, if not nil.
func (e *Client) Call(ctx context.Context, method, path string, query url.Values, in, out any) error {
	resp, err := e.Send(ctx, method, path, query, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode the answer to %s %s: %w", method, path, err)
	}
	return nil
}

// Ping checks that the engine answers.
func (e *Client) Ping(ctx context.Context) error {
	return e.Call(ctx, http.MethodGet, "/_ping", nil, nil, nil)
}

// Negotiate picks the API version: the engine's own, at most maxAPI, and
// fails if the engine is older than minAPI.
func (e *Client) Negotiate(ctx context.Context) error {
	e.prefix = ""
	var v struct{ APIVersion string }
	if err := e.Call(ctx, http.MethodGet, "/version", nil, nil, &v); err != nil {
		return err
	}
	switch {
	case apiOlder(v.APIVersion, minAPI):
		return fmt.Errorf("the Docker engine speaks API %s; Tusk needs %s (Docker 20.10) or newer", v.APIVersion, minAPI)
	case apiOlder(maxAPI, v.APIVersion):
		e.prefix = "/v" + maxAPI
	default:
		e.prefix = "/v" + v.APIVersion
	}
	return nil
}

// apiOlder reports whether API version a ("1.41") is older than b.
func apiOlder(a, b string) bool {
	pa, pb := apiParts(a), apiParts(b)
	if pa[0] != pb[0] {
		return pa[0] < pb[0]
	}
	return pa[1] < pb[1]
}

func apiParts(v string) [2]int {
	major, minor, _ := strings.Cut(v, ".")
	a, _ := strconv.Atoi(major)
	b, _ := strconv.Atoi(minor)
	return [2]int{a, b}
}

// Close closes the client's idle connections.
func (e *Client) Close() { e.http.CloseIdleConnections() }
