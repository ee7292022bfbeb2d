package open_test

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/blob/local"
	"github.com/tuskdata/tusk/internal/blob/open"
	"github.com/tuskdata/tusk/internal/blob/s3"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

func TestOpenLocal(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, rawurl := range []string{filepath.Join(dir, "plain"), "file://" + filepath.Join(dir, "url")} {
		s, err := open.Open(ctx, rawurl, open.Options{})
		if err != nil {
			t.Fatalf("Open(%q): %v", rawurl, err)
		}
		if _, ok := s.(*local.Store); !ok {
			t.Errorf("Open(%q) = %T, want *local.Store", rawurl, s)
		}
		if err := s.Put(ctx, "k/1", []byte("x")); err != nil {
			t.Errorf("Put: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	for _, name := range []string{"plain/k/1", "url/k/1"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("object not where the URL said: %v", err)
		}
	}
}

func TestOpenMemory(t *testing.T) {
	s, err := open.Open(context.Background(), "mem://", open.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*blob.Memory); !ok {
		t.Errorf("Open(mem://) = %T, want *blob.Memory", s)
	}
}

func TestOpenS3(t *testing.T) {
	s, err := open.Open(context.Background(), testenv.Require(t, "s3", "TUSK_TEST_S3"), open.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.(*s3.Store); !ok {
		t.Errorf("Open(TUSK_TEST_S3) = %T, want *s3.Store", s)
	}
}

func TestOpenS3Options(t *testing.T) {
	ctx := context.Background()
	raw := testenv.Require(t, "s3", "TUSK_TEST_S3")
	s, err := open.Open(ctx, raw, open.Options{Retry: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.(*blob.Retry); !ok {
		t.Errorf("Open(TUSK_TEST_S3) with a retry limit = %T, want *blob.Retry", s)
	}
	bucket := "tusk-missing-" + strings.ToLower(rand.Text())
	missing := "s3://" + bucket + raw[strings.Index(raw, "?"):]
	if s, err := open.Open(ctx, missing, open.Options{}); !errors.Is(err, tusk.ErrNotFound) || !strings.Contains(err.Error(), bucket) {
		if err == nil {
			s.Close()
		}
		t.Errorf("Open of a missing bucket = %v, want a not-found error naming it", err)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	tests := []struct{ url, want string }{
		{"", "mem://"},
		{"gs://bucket", "mem://"},
		{"file://host/path", "file:///"},
		{"mem://name", "mem://"},
		{"s3://bucket?endpoint=nohost", "endpoint"},
		{"s3://bucket", "AWS_ACCESS_KEY_ID"},
	}
	for _, tt := range tests {
		_, err := open.Open(context.Background(), tt.url, open.Options{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Open(%q) error = %v, want one mentioning %q", tt.url, err, tt.want)
		}
	}
}
