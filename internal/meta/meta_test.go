package meta_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/meta/metatest"
	"github.com/tuskdata/tusk/internal/testenv"
)

// open opens the store at dsn and closes it when t ends.
func open(t *testing.T, dsn string) *meta.DB {
	t.Helper()
	db, err := meta.Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

func sqliteDSN(t *testing.T) string { return filepath.Join(t.TempDir(), "meta.db") }

func TestSQLite(t *testing.T) {
	metatest.Run(t, func(t *testing.T) *meta.DB { return open(t, sqliteDSN(t)) })
}

func TestSQLiteURL(t *testing.T) {
	db := open(t, "sqlite://"+sqliteDSN(t))
	if got := db.Dialect(); got != "sqlite" {
		t.Errorf("Dialect() = %q, want sqlite", got)
	}
}

func TestSQLiteReopen(t *testing.T) { metatest.Reopen(t, sqliteDSN(t)) }

func TestPostgres(t *testing.T) {
	testenv.Require(t, "postgres", "TUSK_TEST_POSTGRES")
	metatest.Run(t, func(t *testing.T) *meta.DB {
		db := open(t, testenv.PostgresDatabase(t))
		if got := db.Dialect(); got != "postgres" {
			t.Fatalf("Dialect() = %q, want postgres", got)
		}
		return db
	})
}

func TestPostgresReopen(t *testing.T) {
	metatest.Reopen(t, testenv.PostgresDatabase(t))
}

// TestSQLiteCloseLeavesNothingBehind closes a store right after its first
// queries, which it prepares in the background, and removes its
// directory: nothing may still be creating files in it.
func TestSQLiteCloseLeavesNothingBehind(t *testing.T) {
	for i := range 30 {
		dir, err := os.MkdirTemp("", "tusk-meta-close-")
		if err != nil {
			t.Fatal(err)
		}
		db, err := meta.Open(t.Context(), filepath.Join(dir, "meta.db"))
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			db.View(t.Context(), func(tx *meta.Tx) error {
				tx.Repo(t.Context(), "default", "images")
				tx.Branches(t.Context(), "default", "images")
				return nil
			})
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.RemoveAll(dir); err != nil {
			t.Fatalf("round %d: remove the store's directory after Close: %v", i, err)
		}
		time.Sleep(10 * time.Millisecond)
		if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("round %d: the store's directory came back after Close (%v)", i, err)
		}
	}
}
