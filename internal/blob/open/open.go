package open

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/blob/local"
	"github.com/tuskdata/tusk/internal/blob/s3"
)

// Forms lists the store URLs that Open accepts, for error messages and help
// texts.
const Forms = "a directory path, file:///path, " + s3.URLForm + " or mem://"

// Options say how to open a store on the network; a local or in-memory
// store ignores them.
type Options struct {
	// CreateBucket creates a missing S3 bucket; without it a missing
	// bucket is an error.
	CreateBucket bool
	// Retry is how long a call keeps retrying transient errors (see
	// blob.Retry); 0 means one attempt.
	Retry  time.Duration
	Logger *slog.Logger
}

// Open returns the store that rawurl names:
//
//   - a plain path (no "://") or file:///path: a local.Store on that
//     directory, created if missing;
//   - s3://bucket[/prefix]?endpoint=http://127.0.0.1:7070&region=us-east-1:
//     an s3.Store, with credentials from AWS_ACCESS_KEY_ID,
//     AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (see s3.ParseURL), in a
//     blob.Retry if opts.Retry is set;
//   - mem://: a new, empty in-memory store.
func Open(ctx context.Context, rawurl string, opts Options) (blob.Store, error) {
	if rawurl == "" {
		return nil, fmt.Errorf("open store: empty URL; want %s", Forms)
	}
	if !strings.Contains(rawurl, "://") {
		return openLocal(rawurl)
	}
	u, err := url.Parse(rawurl)
	if err != nil {
		return nil, fmt.Errorf("open store %q: %w; want %s", rawurl, err, Forms)
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" || u.Path == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("open store %q: want file:///absolute/path", rawurl)
		}
		return openLocal(u.Path)
	case "s3":
		cfg, err := s3.ParseURL(rawurl, os.Getenv)
		if err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		cfg.CreateBucket = opts.CreateBucket
		s, err := s3.New(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		if opts.Retry <= 0 {
			return s, nil
		}
		return blob.NewRetry(s, blob.RetryOptions{Limit: opts.Retry, Transient: s3.Transient, Logger: opts.Logger}), nil
	case "mem":
		if rawurl != "mem://" {
			return nil, fmt.Errorf("open store %q: an in-memory store takes no name or options; want mem://", rawurl)
		}
		return blob.NewMemory(), nil
	}
	return nil, fmt.Errorf("open store %q: unknown scheme %q; want %s", rawurl, u.Scheme, Forms)
}

func openLocal(dir string) (blob.Store, error) {
	s, err := local.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	return s, nil
}
