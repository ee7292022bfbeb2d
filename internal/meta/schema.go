package meta

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

// SchemaVersion is the version of the table layout. Migrations from older
// versions are added here as the layout changes (upgrades). Version 2
// added the lineage of datums (see lineage.go); stores of version 1 also
// have an older object format (pfs.FormatVersion), so they are not
// migrated. Version 3 added the worker a token was issued to. Version 4
// added the project of the branch or commit upstream in provenance
// (up_project), so a branch can have provenance in another project.
const SchemaVersion = 4

// upgrades take a store from the version of their key to the next. They
// run before the schema's statements, which create what is missing.
var upgrades = map[int][]string{
	2: {`ALTER TABLE auth_tokens ADD COLUMN worker TEXT NOT NULL DEFAULT ''`},
	3: slices.Concat(
		rebuild("branch_provenance", branchProvenance, `project, repo, branch, project, up_repo, up_branch`),
		rebuild("commit_provenance", commitProvenance, `project, repo, id, project, up_repo, up_branch, up_id`)),
}

// rebuild gives a table a new primary key, as neither dialect alters one
// in place alike (SQLite not at all): its rows are copied aside, and the
// table (with its indexes) dropped, created anew by create and filled
// from the copy with the columns cols select. The indexes come back with
// the schema's statements, which run after the upgrades.
func rebuild(table, create, cols string) []string {
	return []string{
		`CREATE TABLE ` + table + `_old AS SELECT * FROM ` + table,
		`DROP TABLE ` + table,
		create,
		`INSERT INTO ` + table + ` SELECT ` + cols + ` FROM ` + table + `_old`,
		`DROP TABLE ` + table + `_old`,
	}
}

const (
	branchProvenance = `CREATE TABLE IF NOT EXISTS branch_provenance (
		project TEXT NOT NULL, repo TEXT NOT NULL, branch TEXT NOT NULL,
		up_project TEXT NOT NULL, up_repo TEXT NOT NULL, up_branch TEXT NOT NULL,
		PRIMARY KEY (project, repo, branch, up_project, up_repo, up_branch))`
	commitProvenance = `CREATE TABLE IF NOT EXISTS commit_provenance (
		project TEXT NOT NULL, repo TEXT NOT NULL, id TEXT NOT NULL,
		up_project TEXT NOT NULL, up_repo TEXT NOT NULL, up_branch TEXT NOT NULL, up_id TEXT NOT NULL,
		PRIMARY KEY (project, repo, id, up_project, up_repo, up_id))`
)

// configTable holds the schema's version, so it is created first.
const configTable = `CREATE TABLE IF NOT EXISTS config (key TEXT PRIMARY KEY, value TEXT NOT NULL)`

var schema = []string{
	configTable,
	`CREATE TABLE IF NOT EXISTS projects (
		name TEXT PRIMARY KEY, description TEXT NOT NULL, created BIGINT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS repos (
		project TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL,
		description TEXT NOT NULL, created BIGINT NOT NULL,
		PRIMARY KEY (project, name))`,
	`CREATE TABLE IF NOT EXISTS branches (
		project TEXT NOT NULL, repo TEXT NOT NULL, name TEXT NOT NULL,
		head TEXT NOT NULL, created BIGINT NOT NULL,
		PRIMARY KEY (project, repo, name))`,
	branchProvenance,
	`CREATE INDEX IF NOT EXISTS branch_subvenance ON branch_provenance (up_project, up_repo, up_branch)`,
	`CREATE TABLE IF NOT EXISTS branch_triggers (
		project TEXT NOT NULL, repo TEXT NOT NULL, branch TEXT NOT NULL,
		watched TEXT NOT NULL, require_all INTEGER NOT NULL, cron TEXT NOT NULL,
		size TEXT NOT NULL, commits BIGINT NOT NULL,
		PRIMARY KEY (project, repo, branch))`,
	`CREATE TABLE IF NOT EXISTS commits (
		project TEXT NOT NULL, repo TEXT NOT NULL, id TEXT NOT NULL,
		branch TEXT NOT NULL, parent TEXT NOT NULL, origin TEXT NOT NULL,
		state TEXT NOT NULL, description TEXT NOT NULL, error TEXT NOT NULL,
		root TEXT NOT NULL, started BIGINT NOT NULL, finished BIGINT NOT NULL,
		size BIGINT NOT NULL, files BIGINT NOT NULL,
		PRIMARY KEY (project, repo, id))`,
	`CREATE INDEX IF NOT EXISTS commits_by_set ON commits (id)`,
	`CREATE INDEX IF NOT EXISTS commits_by_parent ON commits (project, repo, parent, started, id)`,
	`CREATE INDEX IF NOT EXISTS commits_by_time ON commits (project, repo, started, id)`,
	commitProvenance,
	`CREATE TABLE IF NOT EXISTS objects (
		key TEXT PRIMARY KEY, lease_until BIGINT NOT NULL,
		written INTEGER NOT NULL, deleting INTEGER NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS objects_by_lease ON objects (lease_until)`,
	`CREATE TABLE IF NOT EXISTS packs (key TEXT PRIMARY KEY, size BIGINT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS pack_chunks (
		chunk TEXT PRIMARY KEY, pack TEXT NOT NULL, off BIGINT NOT NULL, len BIGINT NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS pack_chunks_by_pack ON pack_chunks (pack)`,
	`CREATE TABLE IF NOT EXISTS pipelines (
		project TEXT NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL,
		PRIMARY KEY (project, name))`,
	`CREATE TABLE IF NOT EXISTS pipeline_versions (
		project TEXT NOT NULL, name TEXT NOT NULL, version BIGINT NOT NULL, data TEXT NOT NULL,
		PRIMARY KEY (project, name, version))`,
	`CREATE TABLE IF NOT EXISTS jobs (
		project TEXT NOT NULL, pipeline TEXT NOT NULL, id TEXT NOT NULL,
		state TEXT NOT NULL, created BIGINT NOT NULL, data TEXT NOT NULL,
		PRIMARY KEY (project, pipeline, id))`,
	`CREATE INDEX IF NOT EXISTS jobs_by_set ON jobs (project, id)`,
	`CREATE INDEX IF NOT EXISTS jobs_by_time ON jobs (project, pipeline, created)`,
	`CREATE TABLE IF NOT EXISTS datums (
		project TEXT NOT NULL, pipeline TEXT NOT NULL, job TEXT NOT NULL, id TEXT NOT NULL,
		idx BIGINT NOT NULL, state TEXT NOT NULL, lease_until BIGINT NOT NULL, data TEXT NOT NULL,
		hash TEXT NOT NULL DEFAULT '', sort_key TEXT` + bytewise + ` NOT NULL DEFAULT '',
		born BIGINT NOT NULL DEFAULT 0, died BIGINT NOT NULL DEFAULT 0,
		PRIMARY KEY (project, pipeline, job, id))`,
	`CREATE INDEX IF NOT EXISTS datums_by_index ON datums (project, pipeline, job, idx)`,
	`CREATE INDEX IF NOT EXISTS datums_by_state ON datums (project, pipeline, job, state, idx)`,
	`CREATE INDEX IF NOT EXISTS datums_by_version ON datums (project, pipeline, id, died)`,
	`CREATE INDEX IF NOT EXISTS datums_by_view ON datums (project, pipeline, died, sort_key, idx)`,
	`CREATE TABLE IF NOT EXISTS removed_datums (
		project TEXT NOT NULL, pipeline TEXT NOT NULL, job TEXT NOT NULL, id TEXT NOT NULL,
		PRIMARY KEY (project, pipeline, job, id))`,
	`CREATE TABLE IF NOT EXISTS job_lineage (
		project TEXT NOT NULL, pipeline TEXT NOT NULL, job TEXT NOT NULL,
		base BIGINT NOT NULL, gen BIGINT NOT NULL, total BIGINT NOT NULL, signature TEXT NOT NULL,
		PRIMARY KEY (project, pipeline, job))`,
	`CREATE INDEX IF NOT EXISTS job_lineage_by_gen ON job_lineage (project, pipeline, gen)`,
	`CREATE TABLE IF NOT EXISTS logs (
		project TEXT NOT NULL, pipeline TEXT NOT NULL, job TEXT NOT NULL, datum TEXT NOT NULL,
		seq BIGINT NOT NULL, data TEXT NOT NULL,
		PRIMARY KEY (project, pipeline, job, datum, seq))`,
	`CREATE TABLE IF NOT EXISTS auth_tokens (
		hash TEXT PRIMARY KEY, subject TEXT NOT NULL,
		created BIGINT NOT NULL, expires BIGINT NOT NULL,
		worker TEXT NOT NULL DEFAULT '')`,
	`CREATE INDEX IF NOT EXISTS auth_tokens_by_subject ON auth_tokens (subject)`,
	`CREATE TABLE IF NOT EXISTS role_bindings (
		kind TEXT NOT NULL, project TEXT NOT NULL, name TEXT NOT NULL,
		subject TEXT NOT NULL, role TEXT NOT NULL,
		PRIMARY KEY (kind, project, name, subject, role))`,
	`CREATE INDEX IF NOT EXISTS role_bindings_by_subject ON role_bindings (subject)`,
	`CREATE TABLE IF NOT EXISTS oidc_attempts (
		key_hash TEXT PRIMARY KEY, state_hash TEXT NOT NULL UNIQUE, secrets TEXT NOT NULL,
		expires BIGINT NOT NULL, redeemed INTEGER NOT NULL, outcome TEXT NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS oidc_attempts_by_expiry ON oidc_attempts (expires)`,
	`CREATE TABLE IF NOT EXISTS secrets (
		name TEXT PRIMARY KEY, type TEXT NOT NULL, created BIGINT NOT NULL, sealed TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS transactions (
		id TEXT PRIMARY KEY, created BIGINT NOT NULL, version BIGINT NOT NULL, data TEXT NOT NULL)`,
}

// postgresSchema follows schema on PostgreSQL. A datum's state changes
// twice or more in the minutes its job runs, so statistics of the column
// are always out of date: taken while a job's datums were queued, they
// had the planner look for a report's last running datum, or for queued
// ones at a job's end, in a scan of every datum, a tenth of a second a
// time. Without them it finds datums in a state by the state index. The
// column is altered only once: the change needs the table's owner, and a
// lock that waits for an ANALYZE of the table.
var postgresSchema = []string{
	`DO $$ BEGIN
		IF (SELECT attstattarget FROM pg_attribute WHERE attrelid = 'datums'::regclass AND attname = 'state') IS DISTINCT FROM 0 THEN
			ALTER TABLE datums ALTER COLUMN state SET STATISTICS 0;
		END IF;
	END $$`,
}

// bytewise marks a text column that must sort bytewise, as SQLite's
// columns do; on PostgreSQL it becomes the "C" collation.
const bytewise = " /* bytewise */"

func (d *DB) migrate(ctx context.Context) error {
	return d.Update(ctx, func(tx *Tx) error {
		stmts := schema
		if d.postgres {
			// Servers started together on an empty database would race to
			// create the same tables (CREATE TABLE IF NOT EXISTS is not
			// safe against a concurrent one): one at a time, until commit.
			if _, err := tx.exec(ctx, `SELECT pg_advisory_xact_lock(?, 1)`, lockSchema); err != nil {
				return fmt.Errorf("wait for the schema lock: %w", err)
			}
			stmts = slices.Concat(schema, postgresSchema)
		}
		if _, err := tx.exec(ctx, configTable); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
		v, stored, err := tx.Config(ctx, "schema_version")
		if err != nil {
			return err
		}
		if stored {
			if err := tx.upgrade(ctx, v); err != nil {
				return err
			}
		}
		for _, stmt := range stmts {
			if d.postgres {
				stmt = strings.ReplaceAll(stmt, bytewise, ` COLLATE "C"`)
			}
			if _, err := tx.exec(ctx, stmt); err != nil {
				return fmt.Errorf("create schema: %w", err)
			}
		}
		if _, err := tx.exec(ctx, `INSERT INTO projects (name, description, created) VALUES (?, '', ?) ON CONFLICT DO NOTHING`,
			tusk.DefaultProject, nanos(time.Now())); err != nil {
			return fmt.Errorf("create the default project: %w", err)
		}
		if !stored {
			return tx.SetConfig(ctx, "schema_version", strconv.Itoa(SchemaVersion))
		}
		return nil
	})
}

// upgrade takes a store of schema version v to SchemaVersion.
func (t *Tx) upgrade(ctx context.Context, v string) error {
	version, err := strconv.Atoi(v)
	for err == nil && version < SchemaVersion && upgrades[version] != nil {
		for _, stmt := range upgrades[version] {
			if _, err := t.exec(ctx, stmt); err != nil {
				return fmt.Errorf("upgrade the schema from version %d: %w", version, err)
			}
		}
		version++
		if err := t.SetConfig(ctx, "schema_version", strconv.Itoa(version)); err != nil {
			return err
		}
	}
	if err != nil || version != SchemaVersion {
		return fmt.Errorf("metadata schema version %s is not supported by this tusk (it knows version %d); use a matching tusk binary", v, SchemaVersion)
	}
	return nil
}

// Config returns a configuration value.
func (t *Tx) Config(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := t.queryRow(ctx, `SELECT value FROM config WHERE key = ?`, key).Scan(&v)
	if err != nil {
		if isNoRows(err) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("read config %s: %w", key, err)
	}
	return v, true, nil
}

// SetConfig sets a configuration value.
func (t *Tx) SetConfig(ctx context.Context, key, value string) error {
	_, err := t.exec(ctx, `INSERT INTO config (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("set config %s: %w", key, err)
	}
	return nil
}
