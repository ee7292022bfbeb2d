package meta_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
)

// TestUpgradeFromVersion2: a store of schema version 2, whose tokens
// have no worker, opens at the current version with its tokens kept,
// and takes tokens of workers; it has the default project.
func TestUpgradeFromVersion2(t *testing.T) {
	ctx := t.Context()
	dsn := sqliteDSN(t)
	raw, err := sql.Open("sqlite", "file:"+dsn)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`CREATE TABLE config (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
		`INSERT INTO config (key, value) VALUES ('schema_version', '2')`,
		`CREATE TABLE auth_tokens (hash TEXT PRIMARY KEY, subject TEXT NOT NULL, created BIGINT NOT NULL, expires BIGINT NOT NULL)`,
		`INSERT INTO auth_tokens (hash, subject, created, expires) VALUES ('old', 'robot:ci', 1, 0)`,
	} {
		if _, err := raw.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	db := open(t, dsn)
	err = db.Update(ctx, func(tx *meta.Tx) error {
		v, _, err := tx.Config(ctx, "schema_version")
		if err != nil {
			return err
		}
		if v != "3" {
			t.Errorf("schema version %s after the upgrade, want 3", v)
		}
		if row, ok, err := tx.Token(ctx, "old"); err != nil || !ok || row.Subject != "robot:ci" || row.Worker != "" {
			t.Errorf("the token of version 2: %+v, %v, %v", row, ok, err)
		}
		if p, err := tx.Project(ctx, "default"); err != nil || p.Name != "default" {
			t.Errorf("the default project after the upgrade: %+v, %v", p, err)
		}
		return tx.InsertToken(ctx, meta.TokenRow{Hash: "w", Subject: "pipeline:edges", Created: time.Now(), Worker: "edges-v1-0"})
	})
	if err != nil {
		t.Fatal(err)
	}
}
