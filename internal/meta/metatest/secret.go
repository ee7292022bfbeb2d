package metatest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

func testSecrets(t *testing.T, db *meta.DB) {
	ctx := t.Context()
	b := meta.SealedSecret{Name: "b", Type: "Opaque", Created: t0, Sealed: []byte("sealed\x00b")}
	a := meta.SealedSecret{Name: "a", Type: "kubernetes.io/basic-auth", Created: at(time.Minute), Sealed: []byte{0, 1, 2, 255}}
	for _, s := range []meta.SealedSecret{b, a} {
		if err := db.CreateSecret(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.CreateSecret(ctx, a); !errors.Is(err, tusk.ErrExists) {
		t.Errorf("creating secret a again: %v, want exists", err)
	}
	got, err := db.Secret(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, got); diff != "" {
		t.Errorf("secret a (-want +got):\n%s", diff)
	}
	all, err := db.Secrets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]meta.SealedSecret{a, b}, all); diff != "" {
		t.Errorf("secrets (-want +got):\n%s", diff)
	}
	if err := db.DeleteSecret(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	var nf *meta.NotFound
	if _, err := db.Secret(ctx, "a"); !errors.As(err, &nf) || nf.What != meta.MissingSecret {
		t.Errorf("reading a deleted secret: %v, want a NotFound of a secret", err)
	}
	if err := db.DeleteSecret(ctx, "a"); !errors.Is(err, tusk.ErrNotFound) {
		t.Errorf("deleting a deleted secret: %v, want not found", err)
	}
}
