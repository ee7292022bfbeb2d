package pfs

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// A version 2 store opens as the current version, its files intact; a
// version this binary does not know is refused.
func TestFormatVersionOnOpen(t *testing.T) {
	ctx := context.Background()
	objects := blob.NewMemory()
	dsn := filepath.Join(t.TempDir(), "meta.db")
	a := openTestAPI(t, objects, dsn)
	if _, err := a.CreateRepo(ctx, tusk.DefaultProject, "data", ""); err != nil {
		t.Fatal(err)
	}
	put(t, a, "data@master", "/f", "written by version 2")

	db, err := meta.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	setVersion := func(v string) {
		t.Helper()
		if err := db.Update(ctx, func(tx *meta.Tx) error { return tx.SetConfig(ctx, "format_version", v) }); err != nil {
			t.Fatal(err)
		}
	}
	version := func() string {
		t.Helper()
		var v string
		err := db.View(ctx, func(tx *meta.Tx) error {
			var err error
			v, _, err = tx.Config(ctx, "format_version")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	setVersion("2")
	b, err := Open(ctx, db, objects, Options{})
	if err != nil {
		t.Fatalf("open a version 2 store: %v", err)
	}
	if v := version(); v != fmt.Sprint(FormatVersion) {
		t.Errorf("format version after opening a version 2 store = %s, want %d", v, FormatVersion)
	}
	if got := read(t, b, "data@master:/f"); got != "written by version 2" {
		t.Errorf("read /f = %q", got)
	}

	setVersion("1")
	if _, err := Open(ctx, db, objects, Options{}); err == nil || !strings.Contains(err.Error(), "format version 1 is not supported") {
		t.Errorf("open a version 1 store: %v, want it refused", err)
	}
}
