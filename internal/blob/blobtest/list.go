package blobtest

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tuskdata/tusk/internal/blob"
)

func testListPrefixes(t *testing.T, s blob.Store) {
	all := []string{
		"chunks/a-1",
		"chunks/a/1",
		"chunks/aa/1",
		"chunks/ab/1",
		"chunks/ab/2",
		"chunks/b/1",
		"chunksx/1",
		"nodes/a/1",
	}
	// Put in reverse so that an insertion-ordered store fails the order check.
	for i := len(all) - 1; i >= 0; i-- {
		put(t, s, all[i], []byte(all[i]))
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", all},
		{"chunks/a", all[:5]},
		{"chunks/a/", all[1:2]},
		{"chunks/ab/", all[3:5]},
		{"chunks", all[:7]},
		{"chunks/", all[:6]},
		{"nodes/a/1", all[7:]},
		{"nodes/b", nil},
		{"missing/", nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, list(t, s, tt.prefix)); diff != "" {
			t.Errorf("List(%q) (-want +got):\n%s", tt.prefix, diff)
		}
	}
	err := s.List(context.Background(), "chunks/ab/", func(info blob.Info) error {
		if info.Size != int64(len(info.Key)) || info.ModTime.IsZero() {
			t.Errorf("List gave %+v, want size %d and a modification time", info, len(info.Key))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
}

func testListStopsOnError(t *testing.T, s blob.Store) {
	for _, key := range []string{"k/1", "k/2", "k/3"} {
		put(t, s, key, []byte(key))
	}
	stop := errors.New("stop")
	calls := 0
	err := s.List(context.Background(), "k/", func(blob.Info) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Errorf("List error = %v, want the callback's", err)
	}
	if calls != 2 {
		t.Errorf("callback called %d times, want 2", calls)
	}
}

func testContextCanceledDuringList(t *testing.T, s blob.Store) {
	for _, key := range []string{"k/1", "k/2", "k/3"} {
		put(t, s, key, []byte(key))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	err := s.List(ctx, "k/", func(blob.Info) error {
		calls++
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("List error = %v, want context.Canceled", err)
	}
	if calls != 1 {
		t.Errorf("callback called %d times after canceling, want 1", calls)
	}
}
