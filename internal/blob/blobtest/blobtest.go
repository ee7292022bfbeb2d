package blobtest

import (
	"context"
	"testing"

	"github.com/tuskdata/tusk/internal/blob"
)

// Run runs the conformance suite. newStore must return a new, empty store
// for each call; Run closes it when the subtest ends, before the cleanups
// that newStore registered with t.Cleanup run.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store) {
	open := func(t *testing.T) blob.Store {
		t.Helper()
		s := newStore(t)
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s blob.Store)
	}{
		{"RoundTripEmpty", func(t *testing.T, s blob.Store) { testRoundTrip(t, s, 0) }},
		{"RoundTripOneByte", func(t *testing.T, s blob.Store) { testRoundTrip(t, s, 1) }},
		{"RoundTrip5MiB", func(t *testing.T, s blob.Store) { testRoundTrip(t, s, 5<<20) }},
		{"GetRange", testGetRange},
		{"Overwrite", testOverwrite},
		{"Isolation", testIsolation},
		{"MissingKey", testMissingKey},
		{"InvalidKey", testInvalidKey},
		{"DeleteIdempotent", testDeleteIdempotent},
		{"ListPrefixes", testListPrefixes},
		{"ListStopsOnError", testListStopsOnError},
		{"ConcurrentPutSameKey", testConcurrentPutSameKey},
		{"ContextCanceled", testContextCanceled},
		{"ContextCanceledDuringList", testContextCanceledDuringList},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

// pattern returns n bytes that differ from one seed to another.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31) ^ seed
	}
	return b
}

func put(t *testing.T, s blob.Store, key string, data []byte) {
	t.Helper()
	if err := s.Put(context.Background(), key, data); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func get(t *testing.T, s blob.Store, key string) []byte {
	t.Helper()
	data, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return data
}

func list(t *testing.T, s blob.Store, prefix string) []string {
	t.Helper()
	var keys []string
	err := s.List(context.Background(), prefix, func(info blob.Info) error {
		keys = append(keys, info.Key)
		return nil
	})
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return keys
}
