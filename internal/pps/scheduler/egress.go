package scheduler

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

// EgressBucket is where s3:// egress writes a job's output files: keys are
// the files' paths under the egress URL's prefix.
type EgressBucket interface {
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	Close() error
}

// OpenEgressBucket opens the bucket of an s3:// egress URL, with the
// credentials the server holds.
type OpenEgressBucket func(url string) (EgressBucket, error)

// egressFiles copies a job's output to the pipeline's egress URL:
// s3://bucket/prefix (credentials from the AWS environment variables) or
// file:///dir under a directory the server allows.
func (s *Scheduler) egressFiles(ctx context.Context, p *spec.Pipeline, files []fileset.File) error {
	target := p.Egress.URL
	if target == "" && p.Egress.ObjectStorage != nil {
		target = p.Egress.ObjectStorage.URL
	}
	u, err := url.Parse(target)
	if err != nil {
		return tusk.Errorf(tusk.KindInvalid, "egress URL %q: %v", target, err)
	}
	switch u.Scheme {
	case "file":
		return s.egressDir(ctx, u.Path, files)
	case "s3":
		return s.egressS3(ctx, target, files)
	}
	return tusk.Errorf(tusk.KindInvalid, "egress URL %q: want s3:// or file://", target)
}

func (s *Scheduler) egressDir(ctx context.Context, dir string, files []fileset.File) error {
	dir = filepath.Clean(dir)
	allowed := false
	for _, d := range s.egress {
		d = filepath.Clean(d)
		if dir == d || strings.HasPrefix(dir, d+string(filepath.Separator)) {
			allowed = true
		}
	}
	if !allowed {
		return tusk.Errorf(tusk.KindInvalid, "egress to %s is not allowed", dir).
			WithHint("start the server with --egress-dir %s (or a parent) to allow it", dir)
	}
	for _, f := range files {
		dst := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("egress %s: %w", f.Path, err)
		}
		out, err := os.Create(dst)
		if err != nil {
			return fmt.Errorf("egress %s: %w", f.Path, err)
		}
		_, err = io.Copy(out, s.pfs.Content(ctx, f, 0))
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("egress %s: %w", f.Path, err)
		}
	}
	return nil
}

func (s *Scheduler) egressS3(ctx context.Context, target string, files []fileset.File) error {
	if s.openBucket == nil {
		return tusk.Errorf(tusk.KindInvalid, "egress to %s: this server does not egress to S3", target)
	}
	b, err := s.openBucket(target)
	if err != nil {
		return tusk.Errorf(tusk.KindInvalid, "egress: %v", err)
	}
	defer b.Close()
	for _, f := range files {
		if err := b.Put(ctx, f.Path, s.pfs.Content(ctx, f, 0), f.Size); err != nil {
			return fmt.Errorf("egress %s: %w", f.Path, err)
		}
	}
	return nil
}
