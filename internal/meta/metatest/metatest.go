package metatest

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Run runs every test of the suite as a named subtest of t. open must
// return a fresh, empty store each time it is called and close it when the
// test it is given ends.
func Run(t *testing.T, open func(t *testing.T) *meta.DB) {
	tests := []struct {
		name string
		fn   func(*testing.T, *meta.DB)
	}{
		{"Config", testConfig},
		{"ClusterID", testClusterID},
		{"Rollback", testRollback},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"TimePrecision", testTimePrecision},
		{"UTF8", testUTF8},
		{"RepoCreateGet", testRepoCreateGet},
		{"RepoDuplicate", testRepoDuplicate},
		{"RepoNotFound", testRepoNotFound},
		{"RepoList", testRepoList},
		{"RepoDeleteCascades", testRepoDeleteCascades},
		{"BranchPutMoveGet", testBranchPutMoveGet},
		{"BranchNotFound", testBranchNotFound},
		{"BranchList", testBranchList},
		{"BranchDelete", testBranchDelete},
		{"BranchProvenance", testBranchProvenance},
		{"BranchTrigger", testBranchTrigger},
		{"CommitInsertGet", testCommitInsertGet},
		{"CommitDuplicate", testCommitDuplicate},
		{"CommitNotFound", testCommitNotFound},
		{"CommitUpdate", testCommitUpdate},
		{"CommitUpdateRootIf", testCommitUpdateRootIf},
		{"CommitChildren", testCommitChildren},
		{"CommitProvenance", testCommitProvenance},
		{"CommitDelete", testCommitDelete},
		{"Ancestry", testAncestry},
		{"RepoCommitsPaging", testRepoCommitsPaging},
		{"CommitSet", testCommitSet},
		{"AllRoots", testAllRoots},
		{"ObjectLeaseNew", testObjectLeaseNew},
		{"ObjectLeaseWritten", testObjectLeaseWritten},
		{"ObjectClaimForDeletion", testObjectClaimForDeletion},
		{"ObjectForget", testObjectForget},
		{"ObjectKnown", testObjectKnown},
		{"ObjectMarkWrittenMany", testObjectMarkWrittenMany},
		{"ClaimableDatums", testClaimableDatums},
		{"QueuedDatumsFrom", testQueuedDatumsFrom},
		{"DatumBatches", testDatumBatches},
		{"LineageGenerations", testLineageGenerations},
		{"LineageKeyOrder", testLineageKeyOrder},
		{"LineageStaleBase", testLineageStaleBase},
		{"LineageDeleteJob", testLineageDeleteJob},
		{"LineageClearPlan", testLineageClearPlan},
		{"Tokens", testTokens},
		{"RoleBindings", testRoleBindings},
		{"OIDCAttempts", testOIDCAttempts},
		{"OIDCRaces", testOIDCRaces},
		{"Secrets", testSecrets},
		{"Projects", testProjects},
		{"ProvenanceAcrossProjects", testProvenanceAcrossProjects},
		{"Txns", testTxns},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

const project = tusk.DefaultProject

// t0 is the base of the times the tests store; it carries nanoseconds so
// that any loss of precision shows.
var t0 = time.Date(2024, 2, 29, 12, 30, 45, 123456789, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// update runs fn in a read-write transaction and fails the test on error.
func update(t *testing.T, db *meta.DB, fn func(*meta.Tx) error) {
	t.Helper()
	if err := db.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// view runs fn in a read-only transaction and fails the test on error.
func view(t *testing.T, db *meta.DB, fn func(*meta.Tx) error) {
	t.Helper()
	if err := db.View(t.Context(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// get runs fn in a read-only transaction and returns its result.
func get[T any](t *testing.T, db *meta.DB, fn func(*meta.Tx) (T, error)) T {
	t.Helper()
	var v T
	view(t, db, func(tx *meta.Tx) (err error) {
		v, err = fn(tx)
		return err
	})
	return v
}

// wantKind checks that err is a *tusk.Error of the given kind and, for a
// lookup that found nothing, a *meta.NotFound that says what was sought
// (from which the server words its hint).
func wantKind(t *testing.T, err error, kind tusk.Kind, lookup bool) {
	t.Helper()
	if got := tusk.KindOf(err); got != kind {
		t.Fatalf("error %v has kind %q, want %q", err, got, kind)
	}
	var nf *meta.NotFound
	if lookup && (!errors.As(err, &nf) || nf.What == "") {
		t.Errorf("error %v is no meta.NotFound that says what was sought", err)
	}
}

// diff fails the test if got differs from want; nil and empty slices are
// equal.
func diff(t *testing.T, what string, want, got any, opts ...cmp.Option) {
	t.Helper()
	if d := cmp.Diff(want, got, append(opts, cmpopts.EquateEmpty())...); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

func newRepo(name string) tusk.Repo {
	return tusk.Repo{Project: project, Name: name, Type: "user", Created: t0}
}

func newCommit(repo, id, parent string, started time.Time) meta.CommitRow {
	return meta.CommitRow{Commit: tusk.Commit{
		Project: project, Repo: repo, ID: id, Branch: "master", Parent: parent,
		Origin: tusk.OriginUser, State: tusk.CommitStarted, Started: started,
	}}
}

func insertCommits(t *testing.T, db *meta.DB, cs ...meta.CommitRow) {
	t.Helper()
	update(t, db, func(tx *meta.Tx) error {
		for _, c := range cs {
			if err := tx.InsertCommit(t.Context(), project, c); err != nil {
				return err
			}
		}
		return nil
	})
}

func ids(cs []meta.CommitRow) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// Reopen checks that what one store wrote at dsn is there after closing it
// and opening dsn again, and that opening an existing store keeps its
// schema. dsn must name an empty store.
func Reopen(t *testing.T, dsn string) {
	ctx := t.Context()
	open := func() *meta.DB {
		t.Helper()
		db, err := meta.Open(ctx, dsn)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return db
	}
	db := open()
	update(t, db, func(tx *meta.Tx) error {
		return errors.Join(tx.CreateRepo(ctx, newRepo("images")), tx.SetConfig(ctx, "k", "v"),
			tx.InsertCommit(ctx, project, newCommit("images", "c1", "", t0)))
	})
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	db = open()
	defer db.Close()
	view(t, db, func(tx *meta.Tx) error {
		r, err := tx.Repo(ctx, project, "images")
		if err != nil {
			return err
		}
		diff(t, "repo", newRepo("images"), r)
		c, err := tx.Commit(ctx, project, "images", "c1")
		diff(t, "commit", newCommit("images", "c1", "", t0), c)
		return err
	})
	diff(t, "config", configValue{"v", true}, config(t, db, "k"))
	diff(t, "schema version", configValue{strconv.Itoa(meta.SchemaVersion), true}, config(t, db, "schema_version"))
}
