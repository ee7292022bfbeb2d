package s3gw_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/blob/blobtest"
	"github.com/tuskdata/tusk/internal/blob/s3"
)

// TestBlobConformance runs the blob store's conformance suite against the
// gateway, through the S3 backend, as if the gateway were the S3 server
// Tusk keeps its chunks in: each store in a prefix of its own of one
// branch, which the first store creates, with authentication on.
func TestBlobConformance(t *testing.T) {
	e := newEnv(t, false)
	if _, err := e.c.CreateRepo(context.Background(), "blobs", ""); err != nil {
		t.Fatal(err)
	}
	blobtest.Run(t, func(t *testing.T) blob.Store {
		cfg := s3.Config{Endpoint: strings.TrimPrefix(e.s3, "http://"), Insecure: true, Region: "us-east-1",
			Bucket: "master.blobs", CreateBucket: true, Prefix: "store-" + strings.ToLower(rand.Text()), AccessKey: e.token, SecretKey: e.token}
		st, err := s3.New(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}
