package s3

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/blob/blobtest"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// testConfig returns the Config of the server named by TUSK_TEST_S3, with a
// prefix of its own under the URL's, or skips the test.
func testConfig(t *testing.T) Config {
	t.Helper()
	cfg, err := ParseURL(testenv.Require(t, "s3", "TUSK_TEST_S3"), os.Getenv)
	if err != nil {
		t.Fatalf("TUSK_TEST_S3: %v", err)
	}
	cfg.Prefix = path.Join(cfg.Prefix, "test-"+strings.ToLower(rand.Text()))
	return cfg
}

// newTestStore returns a store in a fresh prefix and deletes what is left
// in the prefix when the test ends.
func newTestStore(t *testing.T, cfg Config) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := New(ctx, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		cleaner, err := New(ctx, cfg)
		if err != nil {
			t.Errorf("cleanup: %v", err)
			return
		}
		defer cleaner.Close()
		var keys []string
		if err := cleaner.List(ctx, "", func(info blob.Info) error {
			keys = append(keys, info.Key)
			return nil
		}); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		for _, key := range keys {
			if err := cleaner.Delete(ctx, key); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	cfg := testConfig(t)
	blobtest.Run(t, func(t *testing.T) blob.Store {
		c := cfg
		c.Prefix = path.Join(cfg.Prefix, strings.ToLower(rand.Text()))
		return newTestStore(t, c)
	})
}

func TestPrefixesIsolateStores(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	a, b := cfg, cfg
	a.Prefix += "/a"
	b.Prefix += "/ab"
	sa, sb := newTestStore(t, a), newTestStore(t, b)
	defer sa.Close()
	defer sb.Close()
	if err := sa.Put(ctx, "k/1", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := sb.Put(ctx, "k/2", []byte("b")); err != nil {
		t.Fatal(err)
	}
	var keys []string
	err := sa.List(ctx, "", func(info blob.Info) error {
		keys = append(keys, info.Key)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"k/1"}, keys); diff != "" {
		t.Errorf("List of the store under prefix a (-want +got):\n%s", diff)
	}
	if got, err := sb.Get(ctx, "k/2"); err != nil || string(got) != "b" {
		t.Errorf("Get = %q, %v; want %q", got, err, "b")
	}
}

func TestNewRefusesMissingBucket(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	cfg.Bucket = "tusk-missing-" + strings.ToLower(rand.Text())
	s, err := New(ctx, cfg)
	if err == nil {
		s.Close()
		t.Fatalf("New with a missing bucket and no CreateBucket succeeded")
	}
	if !errors.Is(err, tusk.ErrNotFound) || !strings.Contains(err.Error(), cfg.Bucket) || !strings.Contains(err.Error(), "--create-bucket") {
		t.Errorf("New with a missing bucket = %v; want a not-found error naming the bucket and --create-bucket", err)
	}
	probe := newTestStore(t, testConfig(t))
	defer probe.Close()
	if ok, err := probe.client.BucketExists(ctx, cfg.Bucket); err != nil || ok {
		t.Errorf("BucketExists(%q) after the refusal = %v, %v; want false", cfg.Bucket, ok, err)
	}
}

func TestNewCreatesBucket(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	cfg.Bucket = "tusk-new-" + strings.ToLower(rand.Text())
	cfg.CreateBucket = true
	s, err := New(ctx, cfg)
	if err != nil {
		t.Fatalf("New with a missing bucket: %v", err)
	}
	defer s.Close()
	t.Cleanup(func() {
		if err := s.Delete(ctx, "k"); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		if err := s.client.RemoveBucket(ctx, cfg.Bucket); err != nil {
			t.Errorf("cleanup: remove bucket: %v", err)
		}
	})
	if err := s.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatalf("Put in the new bucket: %v", err)
	}
	if ok, err := s.client.BucketExists(ctx, cfg.Bucket); err != nil || !ok {
		t.Errorf("BucketExists(%q) = %v, %v; want true", cfg.Bucket, ok, err)
	}
	cfg.CreateBucket = false
	again, err := New(ctx, cfg)
	if err != nil {
		t.Fatalf("New without CreateBucket, with the bucket now there: %v", err)
	}
	again.Close()
}
