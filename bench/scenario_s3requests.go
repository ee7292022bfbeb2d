package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"sync/atomic"

	"github.com/tuskdata/tusk/internal/client"
)

var s3RequestsScenario = scenario{
	name:  "s3requests",
	title: "S3 requests per GiB stored",
	note: "How many requests Tusk's server makes of S3 to store data. Tusk: a server process (as in the put " +
		"scenario) with `Storage` on the bucket of -s3 (default $TUSK_TEST_S3) reached through a proxy on 127.0.0.1 " +
		"that counts the requests by method, and `Metadata` on a fresh PostgreSQL database (-postgres); one file of " +
		"seeded random bytes (1 GiB × scale) put as in the put scenario, then 10k × scale files of 1–10 KiB as in " +
		"the smallfiles scenario, each into a fresh store. Against format 3, which stored each chunk as an object " +
		"of its own: one PUT per chunk, counted here as the chunks that `fsck` finds in the store after the put, " +
		"plus the PUTs of tree nodes, which both formats write alike. Requests per GiB of data put (2³⁰ B); target: " +
		"at most a tenth of format 3's for the large file, fewer for the small files (whose tree nodes, one per 64 " +
		"files, are most of the requests).",
	run: runS3Requests,
}

func runS3Requests(ctx context.Context, b *bench) ([]row, error) {
	bucket, done, err := startS3Run(ctx, b)
	if err != nil {
		return nil, err
	}
	defer done()
	proxy, err := newCountingProxy(bucket)
	if err != nil {
		return nil, err
	}
	defer proxy.close()
	dir, err := b.scratch("s3requests")
	if err != nil {
		return nil, err
	}
	n, files := b.bytes(1<<30), b.count(10_000)
	src, tree := filepath.Join(dir, "source.bin"), filepath.Join(dir, "tree")
	if err := writeRandomFile(src, n, 1); err != nil {
		return nil, err
	}
	total, err := writeSmallFiles(tree, files, 1<<10, 10<<10, 2)
	if err != nil {
		return nil, err
	}
	var rows []row
	for _, c := range []struct {
		what, scenario, target string
		want                   float64 // of format 3's requests, at most
		bytes                  int64
		put                    func(*client.Client) error
	}{
		{"put", fmt.Sprintf("S3 requests to put one file (%s)", size(n)), "≤ 0.1× format 3", 0.1, n, func(c *client.Client) error {
			_, err := putFile(ctx, c, "data", src, "/source.bin")
			return err
		}},
		{"tree", fmt.Sprintf("S3 requests to put small files, one commit (%d files, %s)", files, size(total)), "< 1× format 3", 0.99, total, func(c *client.Client) error {
			_, _, err := putTree(ctx, c, "data", tree)
			return err
		}},
	} {
		b.log.Info("tusk put on S3, counting requests", "what", c.what)
		proxy.reset()
		var chunks, packs int
		_, err := onS3(ctx, b, bucket, 1, c.what, func(st stores) (phases, error) {
			st.storage = proxy.storageURL(st.storage)
			t, err := startChild(ctx, filepath.Join(dir, c.what), st)
			if err != nil {
				return phases{}, err
			}
			defer t.stop()
			if _, err := t.client.CreateRepo(ctx, "data", ""); err != nil {
				return phases{}, err
			}
			proxy.reset() // what storing the data costs, not starting
			if err := c.put(t.client); err != nil {
				return phases{}, err
			}
			puts, gets, other := proxy.counts()
			rep, err := t.client.Fsck(ctx, false)
			chunks, packs = rep.Chunks, rep.Packs
			proxy.set(puts, gets, other)
			return phases{}, err
		})
		r := row{scenario: c.scenario, target: c.target, ratio: "-"}
		if err != nil {
			r.tusk, r.result = "error: "+err.Error(), "error"
			rows = append(rows, r)
			continue
		}
		puts, gets, other := proxy.counts()
		gib := float64(c.bytes) / (1 << 30)
		perGiB := float64(puts+gets+other) / gib
		// Format 3 wrote the same tree nodes, and each chunk on its own
		// instead of the packs.
		format3 := puts - int64(packs) + int64(chunks)
		before := float64(format3) / gib
		r.tusk = fmt.Sprintf("%.0f requests/GiB (%d PUT of %d packs and tree nodes, %d GET, %d other)", perGiB, puts, packs, gets, other)
		r.baseline = fmt.Sprintf("format 3: ≥ %.0f PUT/GiB (%d chunks and the same tree nodes, an object each)", before, chunks)
		r.ratio = ratio(perGiB, before) + " of format 3"
		r.result = verdict(perGiB <= c.want*before)
		rows = append(rows, r)
	}
	return rows, nil
}

// countingProxy forwards requests to the S3 server of the run and counts
// them. The Host header is passed on as the client signed it.
type countingProxy struct {
	srv              *http.Server
	addr             string
	puts, gets, rest atomic.Int64
}

func newCountingProxy(bucket *s3Run) (*countingProxy, error) {
	endpoint := bucket.raw.Query().Get("endpoint")
	if endpoint == "" {
		return nil, errors.New("the s3requests scenario needs an -s3 URL with ?endpoint= (a local S3 server)")
	}
	target, err := url.Parse(endpoint)
	if err != nil || target.Host == "" {
		return nil, fmt.Errorf("-s3 endpoint %q: want http://host:port", endpoint)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &countingProxy{addr: ln.Addr().String()}
	rp := httputil.NewSingleHostReverseProxy(target)
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPut, http.MethodPost:
			p.puts.Add(1)
		case http.MethodGet:
			p.gets.Add(1)
		default:
			p.rest.Add(1)
		}
		rp.ServeHTTP(w, r)
	})}
	go p.srv.Serve(ln)
	return p, nil
}

// storageURL is raw, an S3 storage URL, with the proxy as its endpoint.
func (p *countingProxy) storageURL(raw string) string {
	u, _ := url.Parse(raw)
	q := u.Query()
	q.Set("endpoint", "http://"+p.addr)
	u.RawQuery = q.Encode()
	return u.String()
}

func (p *countingProxy) reset() { p.set(0, 0, 0) }

func (p *countingProxy) set(puts, gets, rest int64) {
	p.puts.Store(puts)
	p.gets.Store(gets)
	p.rest.Store(rest)
}

func (p *countingProxy) counts() (puts, gets, rest int64) {
	return p.puts.Load(), p.gets.Load(), p.rest.Load()
}

func (p *countingProxy) close() { p.srv.Close() }
