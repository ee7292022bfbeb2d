package blob_test

import (
	"errors"
	"testing"

	"github.com/tuskdata/tusk/internal/blob"
)

func TestCheckKey(t *testing.T) {
	valid := []string{"a", "chunks/ab/abcdef", "nodes/12/1234.v1", "x_y-z/0"}
	invalid := []string{"", "/a", "a/", "a//b", "..", "a/../b", "./a", "a/.tmp-1", "A", "a b", "a\\b", "é"}
	for _, key := range valid {
		if err := blob.CheckKey(key); err != nil {
			t.Errorf("CheckKey(%q) = %v, want nil", key, err)
		}
	}
	for _, key := range invalid {
		if err := blob.CheckKey(key); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("CheckKey(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
}

func TestCheckPrefix(t *testing.T) {
	valid := []string{"", "c", "chunks", "chunks/", "chunks/a", "chunks/ab/"}
	invalid := []string{"/", "/chunks", "chunks//", "../", "chunks/..", "chunks/.", "Chunks"}
	for _, prefix := range valid {
		if err := blob.CheckPrefix(prefix); err != nil {
			t.Errorf("CheckPrefix(%q) = %v, want nil", prefix, err)
		}
	}
	for _, prefix := range invalid {
		if err := blob.CheckPrefix(prefix); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("CheckPrefix(%q) = %v, want ErrInvalidKey", prefix, err)
		}
	}
}
