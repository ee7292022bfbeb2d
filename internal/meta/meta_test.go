package meta_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
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
	srv := postgresServer(t)
	metatest.Run(t, func(t *testing.T) *meta.DB {
		db := open(t, srv.freshDatabase(t))
		if got := db.Dialect(); got != "postgres" {
			t.Fatalf("Dialect() = %q, want postgres", got)
		}
		return db
	})
}

func TestPostgresReopen(t *testing.T) {
	metatest.Reopen(t, postgresServer(t).freshDatabase(t))
}

// postgres is the server named by TUSK_TEST_POSTGRES, on which each test
// gets a database of its own.
type postgres struct {
	admin *sql.DB  // connected to the database of the URL
	url   *url.URL // TUSK_TEST_POSTGRES
}

// postgresServer connects to TUSK_TEST_POSTGRES, or skips t if it is unset
// (and postgres is not listed in TUSK_TEST_REQUIRE).
func postgresServer(t *testing.T) *postgres {
	t.Helper()
	dsn := testenv.Require(t, "postgres", "TUSK_TEST_POSTGRES")
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse TUSK_TEST_POSTGRES: %v", err)
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { admin.Close() })
	if err := admin.PingContext(t.Context()); err != nil {
		t.Fatalf("connect to TUSK_TEST_POSTGRES=%s: %v", dsn, err)
	}
	return &postgres{admin: admin, url: u}
}

// freshDatabase creates an empty database for t and returns its DSN. The
// database is dropped when t ends, after the stores opened on it are closed
// (their cleanups are registered later, so they run first); WITH (FORCE)
// ends any connection still open.
func (p *postgres) freshDatabase(t *testing.T) string {
	t.Helper()
	name := "tusk_test_" + strings.ToLower(rand.Text())
	if _, err := p.admin.ExecContext(t.Context(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := p.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u := *p.url
	u.Path = "/" + name
	return u.String()
}
