package cli

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"strings"

	"github.com/tuskdata/tusk/internal/blob/s3"
	"github.com/tuskdata/tusk/internal/tusk"
)

// buckets opens the S3 buckets that a put file reads from, once each.
// Credentials come from the standard AWS environment variables; the
// server from ?endpoint= in the URL, else $AWS_ENDPOINT_URL_S3 or
// $AWS_ENDPOINT_URL, else AWS.
type buckets struct {
	ctx  context.Context
	open map[string]*s3.Source // by endpoint and bucket
}

func newBuckets(ctx context.Context) *buckets {
	return &buckets{ctx: ctx, open: map[string]*s3.Source{}}
}

func isS3URL(s string) bool { return strings.HasPrefix(s, "s3://") }

// source returns the bucket of an s3:// URL and the key the URL names.
func (b *buckets) source(raw string) (*s3.Source, string, error) {
	cfg, err := s3.ParseURL(raw, os.Getenv)
	if err != nil {
		return nil, "", tusk.Errorf(tusk.KindInvalid, "put file from %s: %v", raw, err)
	}
	id := fmt.Sprintf("%t/%s/%s", cfg.Insecure, cfg.Endpoint, cfg.Bucket)
	src, ok := b.open[id]
	if !ok {
		if src, err = s3.OpenSource(cfg); err != nil {
			return nil, "", fmt.Errorf("put file from %s: %w", raw, err)
		}
		b.open[id] = src
	}
	return src, cfg.Prefix, nil
}

// withEndpoint adds the endpoint of the AWS environment to an s3:// URL
// that names none.
func withEndpoint(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Query().Has("endpoint") {
		return raw
	}
	e := os.Getenv("AWS_ENDPOINT_URL_S3")
	if e == "" {
		e = os.Getenv("AWS_ENDPOINT_URL")
	}
	if e == "" {
		return raw
	}
	q := u.Query()
	q.Set("endpoint", e)
	u.RawQuery = q.Encode()
	return u.String()
}

// plan resolves an s3:// source: one object, or with -r every object
// under a prefix, named like the files of a local directory.
func (b *buckets) plan(opts putOptions, raw, dest string, sources int) ([]putItem, error) {
	if opts.untar {
		return nil, usagef("--untar does not apply to an S3 URL (%s)", raw)
	}
	raw = withEndpoint(raw)
	src, key, err := b.source(raw)
	if err != nil {
		return nil, err
	}
	if key == "" && !opts.recursive {
		return nil, usagef("%s names a bucket, not an object: add -r to put everything in it", raw)
	}
	name := path.Base(key)
	if !opts.recursive {
		target := dest
		if dest == "" || sources > 1 || strings.HasSuffix(dest, "/") {
			target = joinTarget(orRoot(dest), name)
		}
		return []putItem{{local: objectURL(raw, key), target: target, size: -1}}, nil
	}
	target := joinTarget("/", name)
	switch {
	case key == "" && dest == "":
		target = "/"
	case dest != "" && sources == 1:
		target = orRoot(strings.TrimSuffix(dest, "/"))
	case dest != "":
		target = joinTarget(dest, name)
	}
	prefix := key
	if prefix != "" {
		prefix += "/"
	}
	var items []putItem
	err = src.Walk(b.ctx, prefix, func(k string, size int64) error {
		if strings.HasSuffix(k, "/") {
			return nil // a folder marker, not data
		}
		items = append(items, putItem{local: objectURL(raw, k), target: joinTarget(target, strings.TrimPrefix(k, prefix)), size: size})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("put file: %w", err)
	}
	if len(items) == 0 {
		return nil, tusk.Errorf(tusk.KindNotFound, "no objects under %s", raw).
			WithHint("check the bucket and prefix; -r puts the objects whose keys start with PREFIX/")
	}
	return items, nil
}

// objectURL returns the URL of the object key in the bucket of raw, with
// raw's parameters.
func objectURL(raw, key string) string {
	u, _ := url.Parse(raw)
	u.Path = "/" + key
	u.RawPath = ""
	return u.String()
}

// openObject streams the object an s3:// item names.
func (b *buckets) openObject(raw string) (io.ReadCloser, error) {
	src, key, err := b.source(raw)
	if err != nil {
		return nil, err
	}
	rc, _, err := src.Open(b.ctx, key)
	if err != nil {
		return nil, fmt.Errorf("put file: %w", err)
	}
	return rc, nil
}

// Close closes the buckets' idle connections.
func (b *buckets) Close() {
	for _, s := range b.open {
		s.Close()
	}
}
