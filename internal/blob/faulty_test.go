package blob_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/tuskdata/tusk/internal/blob"
)

func TestFaultyFailAfter(t *testing.T) {
	ctx := context.Background()
	f := blob.NewFaulty(blob.NewMemory())
	f.FailAfter(2)
	if err := f.Put(ctx, "k/1", []byte("one")); err != nil {
		t.Fatalf("Put 1: %v", err)
	}
	if _, err := f.Get(ctx, "k/1"); err != nil {
		t.Fatalf("Get 1: %v", err)
	}
	if err := f.Put(ctx, "k/2", []byte("two")); !errors.Is(err, blob.ErrInjected) {
		t.Errorf("Put 2 error = %v, want ErrInjected", err)
	}
	if _, err := f.Get(ctx, "k/1"); !errors.Is(err, blob.ErrInjected) {
		t.Errorf("Get 2 error = %v, want ErrInjected", err)
	}
	f.FailAfter(-1)
	if _, err := f.Get(ctx, "k/2"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Get of the failed Put's key error = %v, want ErrNotFound (a failed Put writes nothing)", err)
	}
}

func TestFaultyFailIf(t *testing.T) {
	ctx := context.Background()
	mem := blob.NewMemory()
	f := blob.NewFaulty(mem)
	f.FailIf(func(op blob.Op, key string) bool { return op == blob.OpGet && key == "k/bad" })
	for _, key := range []string{"k/good", "k/bad"} {
		if err := f.Put(ctx, key, []byte(key)); err != nil {
			t.Fatalf("Put(%q): %v", key, err)
		}
	}
	if got, err := f.Get(ctx, "k/good"); err != nil || !bytes.Equal(got, []byte("k/good")) {
		t.Errorf("Get(k/good) = %q, %v; want its content", got, err)
	}
	if _, err := f.Get(ctx, "k/bad"); !errors.Is(err, blob.ErrInjected) {
		t.Errorf("Get(k/bad) error = %v, want ErrInjected", err)
	}
	if _, err := mem.Get(ctx, "k/bad"); err != nil {
		t.Errorf("the wrapped store lost k/bad: %v", err)
	}
	f.FailIf(nil)
	if _, err := f.Get(ctx, "k/bad"); err != nil {
		t.Errorf("Get(k/bad) after FailIf(nil): %v", err)
	}
}
