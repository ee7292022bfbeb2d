package s3

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Store is a blob.Store in an S3 bucket. It lists in lexical order, as
// ListObjectsV2 does on S3 and the servers compatible with it. It is safe
// for concurrent use.
type Store struct {
	client    *minio.Client
	transport *http.Transport
	bucket    string
	prefix    string // empty or ending in a slash
}

var _ blob.Store = (*Store)(nil)

// New connects to the bucket of cfg. A missing bucket is an error of kind
// tusk.KindNotFound unless cfg.CreateBucket is set, so that a typo in the
// bucket's name does not start an empty store.
func New(ctx context.Context, cfg Config) (*Store, error) {
	// One attempt per call: blob.Retry retries transient errors, within a
	// limit and with logs.
	client, transport, err := newClient(cfg, 1)
	if err != nil {
		return nil, err
	}
	s := &Store{client: client, transport: transport, bucket: cfg.Bucket, prefix: cfg.keyPrefix()}
	if err := s.ensureBucket(ctx, cfg.Region, cfg.CreateBucket); err != nil {
		transport.CloseIdleConnections()
		return nil, fmt.Errorf("s3 %s at %s: %w", cfg.Bucket, cfg.Endpoint, err)
	}
	return s, nil
}

// newClient connects to the server of cfg; a call makes up to retries
// attempts, or minio-go's default number if retries is 0.
func newClient(cfg Config, retries int) (*minio.Client, *http.Transport, error) {
	transport, err := minio.DefaultTransport(!cfg.Insecure)
	if err != nil {
		return nil, nil, fmt.Errorf("s3 %s: %w", cfg.Bucket, err)
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, cfg.SessionToken),
		Secure:       !cfg.Insecure,
		Region:       cfg.Region,
		BucketLookup: minio.BucketLookupPath,
		Transport:    transport,
		MaxRetries:   retries,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("s3 %s at %s: %w", cfg.Bucket, cfg.Endpoint, err)
	}
	return client, transport, nil
}

func (s *Store) ensureBucket(ctx context.Context, region string, create bool) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("check bucket: %w", err)
	}
	if ok {
		return nil
	}
	if !create {
		return tusk.Errorf(tusk.KindNotFound, "bucket %s does not exist", s.bucket).
			WithHint("check the bucket's name, or add --create-bucket to create it")
	}
	err = s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: region})
	switch minio.ToErrorResponse(err).Code {
	case minio.BucketAlreadyOwnedByYou, minio.BucketAlreadyExists:
		return nil // created meanwhile
	}
	if err != nil {
		return fmt.Errorf("create bucket: %w", err)
	}
	return nil
}

// castagnoli is the table of CRC-32C, the checksum that Put sends.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Put implements blob.Putter.
//
// The payload goes unsigned (X-Amz-Content-Sha256: UNSIGNED-PAYLOAD) with
// its CRC-32C (x-amz-checksum-crc32c), which the S3 server checks before
// it stores the object: bytes damaged on the way are refused (BadDigest,
// which Transient lets blob.Retry send again), never stored. The request
// itself, its method, key, headers and length, is still signed. Without
// this, over plain http, minio-go would sign every 64 KiB of the body
// with SHA-256 (a streaming signature) and the S3 server would hash it
// again to check, and a server that is given no checksum makes its own
// (versitygw a CRC-64 in software): on the put of a large file those
// hashes took a third of Tusk's server's CPU and over a quarter of the
// S3 server's, where CRC-32C costs next to nothing on either side. The
// SHA-256 would add nothing: every object of a Store is named by the hash
// of its content (chunks by BLAKE3, tree nodes by SHA-256) and checked
// against that name on every read and by fsck; over https TLS protects
// the bytes, and minio-go leaves the payload unsigned there anyway.
// (Core.PutObject, because Client.PutObject accepts a checksum header
// only with trailing headers, which more S3 servers lack.)
func (s *Store) Put(ctx context.Context, key string, data []byte) error {
	if err := check(ctx, key); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	sum := binary.BigEndian.AppendUint32(nil, crc32.Checksum(data, castagnoli))
	_, err := minio.Core{Client: s.client}.PutObject(ctx, s.bucket, s.prefix+key, bytes.NewReader(data), int64(len(data)), "", "",
		minio.PutObjectOptions{
			ContentType:          "application/octet-stream",
			DisableContentSha256: true,
			UserMetadata:         map[string]string{"x-amz-checksum-crc32c": base64.StdEncoding.EncodeToString(sum)},
		})
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// Get implements blob.Getter.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := check(ctx, key); err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.prefix+key, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, notFound(err))
	}
	defer obj.Close()
	data, err := io.ReadAll(obj)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, notFound(err))
	}
	return data, nil
}

// GetRange implements blob.Getter: one ranged GET.
func (s *Store) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	if err := check(ctx, key); err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	if off < 0 || n < 0 {
		return nil, fmt.Errorf("get %s: %w", key, blob.CheckRange(off, n, 0))
	}
	if n == 0 {
		// HTTP cannot ask for no bytes: the object's size tells whether
		// the empty range lies within it.
		info, err := s.Stat(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("get %s: %w", key, err)
		}
		if err := blob.CheckRange(off, n, info.Size); err != nil {
			return nil, fmt.Errorf("get %s: %w", key, err)
		}
		return []byte{}, nil
	}
	var opts minio.GetObjectOptions
	if err := opts.SetRange(off, off+n-1); err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.prefix+key, opts)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, rangeError(notFound(err)))
	}
	defer obj.Close()
	data, err := io.ReadAll(obj)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, rangeError(notFound(err)))
	}
	if int64(len(data)) != n {
		return nil, fmt.Errorf("get %s: %d bytes at offset %d, got %d: %w", key, n, off, len(data), blob.ErrRange)
	}
	return data, nil
}

// rangeError wraps err in blob.ErrRange if the server says that the range
// is not satisfiable.
func rangeError(err error) error {
	var resp minio.ErrorResponse
	if errors.As(err, &resp) && (resp.Code == "InvalidRange" || resp.StatusCode == http.StatusRequestedRangeNotSatisfiable) {
		return fmt.Errorf("%w: %w", blob.ErrRange, err)
	}
	return err
}

// Stat implements blob.Getter.
func (s *Store) Stat(ctx context.Context, key string) (blob.Info, error) {
	if err := check(ctx, key); err != nil {
		return blob.Info{}, fmt.Errorf("stat %s: %w", key, err)
	}
	oi, err := s.client.StatObject(ctx, s.bucket, s.prefix+key, minio.StatObjectOptions{})
	if err != nil {
		return blob.Info{}, fmt.Errorf("stat %s: %w", key, notFound(err))
	}
	return blob.Info{Key: key, Size: oi.Size, ModTime: oi.LastModified}, nil
}

// List implements blob.Lister.
func (s *Store) List(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("list %s: %w", prefix, err)
	}
	if err := blob.CheckPrefix(prefix); err != nil {
		return fmt.Errorf("list %s: %w", prefix, err)
	}
	// Canceling ctx when List returns stops the listing's requests.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	objects := s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + prefix, Recursive: true})
	for oi := range objects {
		if oi.Err != nil {
			return fmt.Errorf("list %s: %w", prefix, oi.Err)
		}
		if err := fn(blob.Info{Key: strings.TrimPrefix(oi.Key, s.prefix), Size: oi.Size, ModTime: oi.LastModified}); err != nil {
			return fmt.Errorf("list %s: %w", prefix, err)
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("list %s: %w", prefix, err)
		}
	}
	return nil
}

// Delete implements blob.Deleter.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := check(ctx, key); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	err := s.client.RemoveObject(ctx, s.bucket, s.prefix+key, minio.RemoveObjectOptions{})
	if err != nil && !errors.Is(notFound(err), blob.ErrNotFound) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// Close implements blob.Store: it closes idle connections.
func (s *Store) Close() error {
	s.transport.CloseIdleConnections()
	return nil
}

// check returns ctx's error if it is done, or the key's if it is invalid.
func check(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return blob.CheckKey(key)
}

// notFound returns err wrapped in blob.ErrNotFound if it says that the
// object is missing, and err otherwise.
func notFound(err error) error {
	var resp minio.ErrorResponse
	if errors.As(err, &resp) && resp.Code == minio.NoSuchKey {
		return fmt.Errorf("%w: %w", blob.ErrNotFound, err)
	}
	return err
}
