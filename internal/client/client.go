package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tuskdata/tusk/internal/chunk"
	"github.com/tuskdata/tusk/internal/tusk"
)

// DefaultAddress is where a local `tusk up` listens.
const DefaultAddress = "127.0.0.1:1650"

// Client talks to a Tusk server, or to one of several that share their
// stores: it sends every request to the one in use, and moves on to the
// next when that one cannot be reached or says it is unavailable.
type Client struct {
	bases []string      // the servers' base URLs
	cur   *atomic.Int32 // index in bases of the server in use, shared by As
	http  *http.Client
	// long is http without its ResponseTimeout, for requests that the
	// server holds (NextTasks).
	long   *http.Client
	answer time.Duration // ResponseTimeout's
	token  string        // sent as a bearer token; "" sends none
	txn    string        // sent as TxnHeader; "" sends none
	// project is sent as the query parameter "project" of every
	// request: the project of the repos, pipelines and jobs it names.
	// "" sends none, which the server takes as the default project.
	project string

	trust trust // which server certificates to trust over https

	mu     sync.Mutex
	params *chunk.Params // the server's chunking parameters, once known
}

// An Option changes how a client reaches its server.
type Option func(*Client)

// New returns a client of the server at addr: "host:port", a URL
// ("http://host:port", "https://host:port"), or "unix:///path/to.sock";
// or of several servers sharing their stores, their TCP addresses
// separated by commas, used in turn as each fails (see do).
func New(addr string, opts ...Option) (*Client, error) {
	c := &Client{cur: new(atomic.Int32)}
	for _, o := range opts {
		o(c)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 32, IdleConnTimeout: 90 * time.Second, TLSClientConfig: c.trust.config()}
	if sock, ok := strings.CutPrefix(addr, "unix://"); ok {
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}
		c.bases = []string{"http://tusk"}
	} else {
		for a := range strings.SplitSeq(addr, ",") {
			base, err := baseURL(strings.TrimSpace(a))
			if err != nil {
				return nil, err
			}
			c.bases = append(c.bases, base)
		}
	}
	c.long = &http.Client{Transport: tr}
	c.http = c.long
	if c.answer > 0 {
		timed := tr.Clone()
		timed.ResponseHeaderTimeout = c.answer
		dial := timed.DialContext
		if dial == nil {
			dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		}
		timed.DialContext = stalling(dial, c.answer)
		c.http = &http.Client{Transport: timed}
	}
	return c, nil
}

// ResponseTimeout makes a request fail when the server has not begun to
// answer within d of receiving it, or when its body, either way, moves
// nothing for d, except NextTasks, which the server holds: a server that
// stalls, or is cut off without a word, would otherwise be waited for as
// long as TCP waits, for minutes. (Requests that the server holds for
// long, waits and subscriptions, would fail.)
func ResponseTimeout(d time.Duration) Option { return func(c *Client) { c.answer = d } }

// baseURL returns the base URL of the server at addr, a TCP address.
func baseURL(addr string) (string, error) {
	base := "http://" + addr
	switch {
	case addr == "":
		return "", fmt.Errorf("no server address")
	case strings.HasPrefix(addr, "unix://"):
		return "", fmt.Errorf("bad server address %q: a Unix socket cannot be one of several addresses", addr)
	case strings.HasPrefix(addr, "http://"), strings.HasPrefix(addr, "https://"):
		base = strings.TrimSuffix(addr, "/")
	}
	if _, err := url.Parse(base); err != nil {
		return "", fmt.Errorf("bad server address %q: %w", addr, err)
	}
	return base, nil
}

// WithToken makes the client send token (as "Authorization: Bearer").
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// As returns a client of the same server, over the same connections,
// that sends token instead (the console acts as each of its users).
func (c *Client) As(token string) *Client {
	return &Client{bases: c.bases, cur: c.cur, http: c.http, long: c.long, answer: c.answer, trust: c.trust, token: token}
}

// Address returns the base URL of the server in use.
func (c *Client) Address() string { return c.bases[c.cur.Load()] }

// failed moves on from server i, which failed a request, to the next one,
// unless another request moved on already.
func (c *Client) failed(i int32) {
	c.cur.CompareAndSwap(i, (i+1)%int32(len(c.bases)))
}

// do sends a request to the server in use. A server that cannot be
// reached, does not answer before the request's deadline, or answers that
// it is unavailable fails the request, and the next one goes to the next
// server: the callers that try again (a worker's reports and claims) thus
// reach another server sharing the stores, whereas a request is not sent
// twice, which some must not be.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body io.Reader, contentType string) (*http.Response, error) {
	return c.send(c.http, ctx, method, path, q, body, contentType)
}

// send is do on the HTTP client hc.
func (c *Client) send(hc *http.Client, ctx context.Context, method, path string, q url.Values, body io.Reader, contentType string) (*http.Response, error) {
	i := c.cur.Load()
	base := c.bases[i]
	u := base + path
	if c.project != "" {
		q = maps.Clone(q)
		if q == nil {
			q = url.Values{}
		}
		q.Set("project", c.project)
	}
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if s, ok := body.(sizedReader); ok {
		req.ContentLength = int64(s.n)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.txn != "" {
		req.Header.Set(tusk.TxnHeader, c.txn)
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				c.failed(i) // stalled, or cut off without a word
			}
			return nil, fmt.Errorf("%s %s: %w", method, path, ctx.Err())
		}
		if terr := untrusted(base, err); terr != nil {
			return nil, terr
		}
		c.failed(i)
		return nil, &tusk.Error{Kind: tusk.KindUnavailable, Message: fmt.Sprintf("cannot reach the tusk server at %s: %v", base, unwrapURLError(err)),
			Hint: "start one with `tusk up`, or point TUSK_ADDRESS at a running server"}
	}
	if resp.StatusCode >= 400 {
		defer closeBody(resp.Body)
		err := decodeError(resp)
		if tusk.KindOf(err) == tusk.KindUnavailable {
			c.failed(i)
		}
		return nil, err
	}
	return resp, nil
}

// drainLimit is how much of a response body a client reads past what it
// wanted before closing it, so that the connection goes back to the pool:
// a body closed before its end closes the connection, and a JSON value
// leaves its trailing newline unread. A longer rest (a stream given up
// part-way) is cheaper to cut off with its connection.
const drainLimit = 64 << 10

// closeBody reads what is left of body, up to drainLimit, and closes it.
func closeBody(body io.ReadCloser) error {
	io.Copy(io.Discard, io.LimitReader(body, drainLimit))
	return body.Close()
}

// drainingBody is a response body of a known end handed to a caller;
// closing it drains it as closeBody does.
type drainingBody struct{ io.ReadCloser }

func (b drainingBody) Close() error { return closeBody(b.ReadCloser) }

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

func decodeError(resp *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var body struct {
		Error *tusk.Error `json:"error"`
	}
	if json.Unmarshal(data, &body) == nil && body.Error != nil {
		return body.Error
	}
	if bytes.Contains(data, []byte("HTTP request to an HTTPS server")) {
		return tusk.Errorf(tusk.KindInvalid, "the server at %s serves https, and tusk spoke plain http to it", resp.Request.URL.Host).
			WithHint("use the address https://%s (tusk config set context NAME --address https://%s, or TUSK_ADDRESS)", resp.Request.URL.Host, resp.Request.URL.Host)
	}
	return &tusk.Error{Kind: tusk.KindInternal, Message: fmt.Sprintf("server answered %s: %s", resp.Status, bytes.TrimSpace(data))}
}

// call sends a JSON request and decodes a JSON response into out. A
// request that changes state says it is JSON even with no body in: the
// server refuses those that do not say what their body is.
func (c *Client) call(ctx context.Context, method, path string, q url.Values, in, out any) error {
	var body io.Reader
	ct := "application/json"
	if method == http.MethodGet {
		ct = ""
	}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	resp, err := c.do(ctx, method, path, q, body, ct)
	if err != nil {
		return err
	}
	defer closeBody(resp.Body)
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode response of %s %s: %w", method, path, err)
	}
	return nil
}

// stream reads a newline-delimited JSON response, calling fn with each
// line; a line {"error": …} ends the stream with that error.
func stream[T any](ctx context.Context, c *Client, path string, q url.Values, fn func(T) error) error {
	resp, err := c.do(ctx, http.MethodGet, path, q, nil, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return decodeStream(resp, path, fn)
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func decodeStream[T any](resp *http.Response, path string, fn func(T) error) error {
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		if bytes.HasPrefix(line, []byte(`{"error":`)) {
			var e struct {
				Error *tusk.Error `json:"error"`
			}
			if json.Unmarshal(line, &e) == nil && e.Error != nil {
				return e.Error
			}
		}
		var v T
		if err := json.Unmarshal(line, &v); err != nil {
			return fmt.Errorf("decode %s: %w", path, err)
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

func collect[T any](ctx context.Context, c *Client, path string, q url.Values) ([]T, error) {
	var out []T
	err := stream(ctx, c, path, q, func(v T) error { out = append(out, v); return nil })
	return out, err
}

// Info describes the server.
type Info struct {
	// ClusterID names the cluster: the servers that share one metadata
	// store have the same.
	ClusterID     string          `json:"cluster_id"`
	Version       string          `json:"version"`
	APIVersion    string          `json:"api_version"`
	FormatVersion int             `json:"format_version"`
	ChunkParams   json.RawMessage `json:"chunk_params"`
	Metadata      string          `json:"metadata"`
	// Leader says whether this server runs the scheduler: of several
	// servers sharing one metadata store, exactly one does.
	Leader bool `json:"leader"`
	// OIDCIssuer is the OpenID Provider users may log in at, if any.
	OIDCIssuer string `json:"oidc_issuer,omitempty"`
}

// Info returns the server's version and settings.
func (c *Client) Info(ctx context.Context) (Info, error) {
	var i Info
	err := c.call(ctx, http.MethodGet, "/v1/info", nil, nil, &i)
	return i, err
}
