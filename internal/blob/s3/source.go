package s3

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/minio/minio-go/v7"
)

// Source reads a bucket that Tusk does not own, such as a user's data for
// put file. Keys are taken as they are, without the store's key rules, and
// objects are streamed, not read into memory.
type Source struct {
	client    *minio.Client
	transport *http.Transport
	bucket    string
}

// OpenSource connects to the bucket of cfg; cfg.Prefix is not used.
func OpenSource(cfg Config) (*Source, error) {
	client, transport, err := newClient(cfg, 0)
	if err != nil {
		return nil, err
	}
	return &Source{client: client, transport: transport, bucket: cfg.Bucket}, nil
}

// Open returns the content of an object and its size.
func (s *Source) Open(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, 0, fmt.Errorf("s3://%s/%s: %w", s.bucket, key, err)
	}
	st, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, 0, fmt.Errorf("s3://%s/%s: %w", s.bucket, key, err)
	}
	return obj, st.Size, nil
}

// Walk calls fn for every object whose key starts with prefix, in key
// order, with its size.
func (s *Source) Walk(ctx context.Context, prefix string, fn func(key string, size int64) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for oi := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if oi.Err != nil {
			return fmt.Errorf("list s3://%s/%s: %w", s.bucket, prefix, oi.Err)
		}
		if err := fn(oi.Key, oi.Size); err != nil {
			return err
		}
	}
	return nil
}

// Close closes idle connections.
func (s *Source) Close() error {
	s.transport.CloseIdleConnections()
	return nil
}
