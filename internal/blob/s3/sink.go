package s3

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/minio/minio-go/v7"
)

// Sink writes into a bucket that Tusk does not own, such as a pipeline's
// egress target. Keys are taken as they are, under the prefix of its
// Config, and objects are streamed, not held in memory.
type Sink struct {
	client    *minio.Client
	transport *http.Transport
	bucket    string
	prefix    string // empty or ending in a slash
}

// OpenSink connects to the bucket of cfg.
func OpenSink(cfg Config) (*Sink, error) {
	client, transport, err := newClient(cfg, 0)
	if err != nil {
		return nil, err
	}
	return &Sink{client: client, transport: transport, bucket: cfg.Bucket, prefix: cfg.keyPrefix()}, nil
}

// Put writes the object at key, under the prefix, from size bytes of r.
func (s *Sink) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	key = s.prefix + strings.TrimPrefix(key, "/")
	if _, err := s.client.PutObject(ctx, s.bucket, key, r, size, minio.PutObjectOptions{}); err != nil {
		return fmt.Errorf("put s3://%s/%s: %w", s.bucket, key, err)
	}
	return nil
}

// Close closes idle connections.
func (s *Sink) Close() error {
	s.transport.CloseIdleConnections()
	return nil
}
