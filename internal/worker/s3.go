package worker

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/tuskdata/tusk/internal/grant"
	"github.com/tuskdata/tusk/internal/s3gw"
	"github.com/tuskdata/tusk/internal/tusk"
)

// A pipeline's S3 inputs ("s3": true) and its S3 output ("s3_out": true)
// reach its command through an S3 endpoint of the worker's own, as
// Pachyderm's sidecar gives them: the S3 gateway (package s3gw) on a
// loopback port of the worker, which is the command's network (on the
// docker runner the worker runs inside the container). Its buckets are
// the datum in hand's: each S3 input by its name, read-only at the job's
// commit, and "out", which is the datum's /pfs/out, so that what the
// command writes there is the datum's output as any file under /pfs/out
// is. The access key and the secret key are both the worker's token, as
// in Pachyderm; with no token (authentication off) any key is taken.

// s3Endpoint is the worker's S3 endpoint, started for the first datum
// that needs it and serving whichever datum is in hand.
type s3Endpoint struct {
	w   *worker
	mu  sync.Mutex
	srv *http.Server
	url string
	cur *s3Datum // the datum in hand, nil between datums
}

// s3Datum is what the endpoint serves for one datum: its S3 inputs by
// name and, with s3_out, its output.
type s3Datum struct {
	inputs  map[string]tusk.DatumInput
	out     bool
	started time.Time
	chunks  string // where the chunks of writes to out wait, until the datum ends
	// as is who the command runs as, nil for the worker itself: what
	// the endpoint writes in /pfs/out is theirs, as if they wrote it.
	as *runAs
}

// usesS3 reports whether task t has S3 inputs or an S3 output.
func usesS3(t *tusk.Task) bool {
	if t.S3Out {
		return true
	}
	for _, in := range t.Inputs {
		if in.S3 {
			return true
		}
	}
	return false
}

// serve makes the endpoint serve task t's datum, whose command runs as
// as, starting it if need be, or nothing if t has neither S3 inputs nor
// an S3 output.
func (e *s3Endpoint) serve(t *tusk.Task, as *runAs) error {
	e.end()
	if !usesS3(t) {
		return nil
	}
	d := &s3Datum{inputs: map[string]tusk.DatumInput{}, out: t.S3Out, started: time.Now(), as: as}
	for _, in := range t.Inputs {
		if in.S3 {
			d.inputs[in.Name] = in
		}
	}
	if d.out {
		dir, err := os.MkdirTemp("", "tusk-s3-chunks-")
		if err != nil {
			// Images FROM scratch (or busybox) have no /tmp.
			dir, err = os.MkdirTemp("/", ".tusk-s3-chunks-")
		}
		if err != nil {
			return fmt.Errorf("S3 endpoint: %w", err)
		}
		d.chunks = dir
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cur = d
	if e.srv != nil {
		return nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("S3 endpoint: %w", err)
	}
	gw := s3gw.New(s3FS{e}, s3Identities{e}, nil, e.w.log)
	e.srv = &http.Server{Handler: gw, ReadHeaderTimeout: 10 * time.Second}
	e.url = "http://" + ln.Addr().String()
	go func() {
		if err := e.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.w.log.Error("S3 endpoint stopped", "err", err)
		}
	}()
	e.w.log.Info("S3 endpoint serving", "url", e.url)
	return nil
}

// datum returns the datum in hand, or an error for a request that comes
// between datums.
func (e *s3Endpoint) datum() (*s3Datum, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cur == nil {
		return nil, tusk.Errorf(tusk.KindNotFound, "the worker has no datum in hand")
	}
	return e.cur, nil
}

// end stops serving the datum in hand and forgets the chunks of its
// writes.
func (e *s3Endpoint) end() {
	e.mu.Lock()
	d := e.cur
	e.cur = nil
	e.mu.Unlock()
	if d != nil && d.chunks != "" {
		if err := os.RemoveAll(d.chunks); err != nil {
			e.w.log.Warn("remove the chunks of the S3 output", "err", err)
		}
	}
}

// close stops the endpoint.
func (e *s3Endpoint) close() {
	e.end()
	e.mu.Lock()
	srv := e.srv
	e.mu.Unlock()
	if srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		srv.Close()
	}
}

// env is what task t's command needs to reach the endpoint: its URL and
// the worker's token as its credentials.
func (e *s3Endpoint) env(t *tusk.Task) []string {
	if !usesS3(t) {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.srv == nil {
		return nil
	}
	key := e.w.cfg.Token
	if key == "" {
		key = "tusk" // authentication is off, and any key will do; clients want one
	}
	return []string{"S3_ENDPOINT=" + e.url, "AWS_ACCESS_KEY_ID=" + key, "AWS_SECRET_ACCESS_KEY=" + key}
}

// s3Identities takes the worker's token, and gives it the datum's
// buckets: its S3 inputs to read, out to write.
type s3Identities struct{ e *s3Endpoint }

func (i s3Identities) AuthActive() bool { return i.e.w.cfg.Token != "" }

func (i s3Identities) Authenticate(_ context.Context, token string) (grant.Grants, error) {
	if subtle.ConstantTimeCompare([]byte(token), []byte(i.e.w.cfg.Token)) != 1 {
		return grant.Grants{}, tusk.Errorf(tusk.KindUnauthenticated, "not this worker's token")
	}
	d, err := i.e.datum()
	if err != nil {
		return grant.Grants{}, err
	}
	g := grant.Grants{Subject: "pipeline:" + i.e.w.cfg.Pipeline, Repos: map[string]grant.Level{}}
	for name := range d.inputs {
		g.Repos[name] = grant.Read
	}
	if d.out {
		g.Repos[outBucket] = grant.Write
	}
	return g, nil
}
