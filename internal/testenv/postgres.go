package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"net/url"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// PostgresDatabase creates an empty database for t on the server named by
// TUSK_TEST_POSTGRES and returns its DSN, or skips t when the variable is
// unset (failing instead when TUSK_TEST_REQUIRE names postgres). The
// database is dropped when t ends, after the stores opened on it are
// closed (their cleanups are registered later, so they run first); WITH
// (FORCE) ends any connection still open.
func PostgresDatabase(t testing.TB) string {
	t.Helper()
	dsn := Require(t, "postgres", "TUSK_TEST_POSTGRES")
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse TUSK_TEST_POSTGRES: %v", err)
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	name := "tusk_test_" + strings.ToLower(rand.Text())
	if _, err := admin.ExecContext(t.Context(), "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("create database %s on TUSK_TEST_POSTGRES=%s: %v", name, dsn, err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}
