package meta_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// version2 is a store of schema version 2 as far as upgrades touch it:
// tokens without a worker, provenance without the project upstream (and
// its index of subvenance), a commit and its provenance within a repo.
var version2 = []string{
	`CREATE TABLE config (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
	`INSERT INTO config (key, value) VALUES ('schema_version', '2')`,
	`CREATE TABLE auth_tokens (hash TEXT PRIMARY KEY, subject TEXT NOT NULL, created BIGINT NOT NULL, expires BIGINT NOT NULL)`,
	`INSERT INTO auth_tokens (hash, subject, created, expires) VALUES ('old', 'robot:ci', 1, 0)`,
	`CREATE TABLE branch_provenance (
		project TEXT NOT NULL, repo TEXT NOT NULL, branch TEXT NOT NULL,
		up_repo TEXT NOT NULL, up_branch TEXT NOT NULL,
		PRIMARY KEY (project, repo, branch, up_repo, up_branch))`,
	`CREATE INDEX branch_subvenance ON branch_provenance (project, up_repo, up_branch)`,
	`INSERT INTO branch_provenance VALUES ('default', 'edges', 'master', 'images', 'master')`,
	`CREATE TABLE commit_provenance (
		project TEXT NOT NULL, repo TEXT NOT NULL, id TEXT NOT NULL,
		up_repo TEXT NOT NULL, up_branch TEXT NOT NULL, up_id TEXT NOT NULL,
		PRIMARY KEY (project, repo, id, up_repo, up_id))`,
	`INSERT INTO commit_provenance VALUES ('default', 'edges', 'c1', 'images', 'master', 'c1')`,
}

// TestUpgradeFromVersion2: a store of schema version 2 opens at the
// current version: its tokens kept, and taking tokens of workers; its
// provenance kept, upstream in the default project, and taking
// provenance in another project; the default project there.
func TestUpgradeFromVersion2(t *testing.T) {
	testUpgrade(t, "sqlite", sqliteDSN(t))
}

func TestUpgradeFromVersion2Postgres(t *testing.T) {
	testUpgrade(t, "pgx", testenv.PostgresDatabase(t))
}

func testUpgrade(t *testing.T, driver, dsn string) {
	ctx := t.Context()
	source := dsn
	if driver == "sqlite" {
		source = "file:" + dsn
	}
	raw, err := sql.Open(driver, source)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range version2 {
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
		if v != "4" {
			t.Errorf("schema version %s after the upgrade, want 4", v)
		}
		if row, ok, err := tx.Token(ctx, "old"); err != nil || !ok || row.Subject != "robot:ci" || row.Worker != "" {
			t.Errorf("the token of version 2: %+v, %v, %v", row, ok, err)
		}
		if p, err := tx.Project(ctx, "default"); err != nil || p.Name != "default" {
			t.Errorf("the default project after the upgrade: %+v, %v", p, err)
		}
		prov, err := tx.CommitProvenance(ctx, tusk.DefaultProject, "edges", "c1")
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]tusk.CommitRef{{Repo: "images", Branch: "master", ID: "c1"}}, prov); diff != "" {
			t.Errorf("commit provenance after the upgrade (-want +got):\n%s", diff)
		}
		if err := tx.CreateProject(ctx, tusk.Project{Name: "a", Created: time.Now()}); err != nil {
			return err
		}
		if err := tx.SetBranchProvenance(ctx, "a", "montage", "master", []tusk.BranchRef{{Project: tusk.DefaultProject, Repo: "images", Branch: "master"}}); err != nil {
			return err
		}
		if err := tx.PutBranch(ctx, tusk.DefaultProject, "images", "master", "c1", time.Now()); err != nil {
			return err
		}
		return tx.InsertToken(ctx, meta.TokenRow{Hash: "w", Subject: "pipeline:edges", Created: time.Now(), Worker: "edges-v1-0"})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx *meta.Tx) error {
		b, err := tx.Branch(ctx, tusk.DefaultProject, "images", "master")
		if err != nil {
			return err
		}
		want := []tusk.BranchRef{{Project: "a", Repo: "montage", Branch: "master"}, {Repo: "edges", Branch: "master"}}
		if diff := cmp.Diff(want, b.Subvenance); diff != "" {
			t.Errorf("subvenance after the upgrade (-want +got):\n%s", diff)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
