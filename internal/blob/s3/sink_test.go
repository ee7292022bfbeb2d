package s3

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSinkWritesUnderItsPrefix writes through a Sink and reads back
// through a Source: the keys are the Sink's prefix and the given keys,
// whose leading slash (a file's path) does not double the separator.
func TestSinkWritesUnderItsPrefix(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	newTestStore(t, cfg).Close() // deletes what the test leaves under the prefix
	sink, err := OpenSink(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	files := map[string]string{"/a.txt": "alpha", "/d/b.txt": "beta", "empty": ""}
	for key, content := range files {
		if err := sink.Put(ctx, key, strings.NewReader(content), int64(len(content))); err != nil {
			t.Fatal(err)
		}
	}
	src, err := OpenSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	got := map[string]string{}
	err = src.Walk(ctx, cfg.Prefix+"/", func(key string, size int64) error {
		r, n, err := src.Open(ctx, key)
		if err != nil {
			return err
		}
		defer r.Close()
		b, err := io.ReadAll(r)
		if err == nil && int64(len(b)) != n {
			t.Errorf("%s: size %d, read %d bytes", key, n, len(b))
		}
		got[key] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{cfg.Prefix + "/a.txt": "alpha", cfg.Prefix + "/d/b.txt": "beta", cfg.Prefix + "/empty": ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("objects written through the sink (-want +got):\n%s", diff)
	}
}
