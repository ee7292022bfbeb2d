package meta_test

import (
	"path/filepath"
	"testing"

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
