package metatest

import (
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

type configValue struct {
	Value string
	OK    bool
}

func config(t *testing.T, db *meta.DB, key string) configValue {
	t.Helper()
	var c configValue
	view(t, db, func(tx *meta.Tx) (err error) {
		c.Value, c.OK, err = tx.Config(t.Context(), key)
		return err
	})
	return c
}

func setConfig(t *testing.T, db *meta.DB, key, value string) {
	t.Helper()
	update(t, db, func(tx *meta.Tx) error { return tx.SetConfig(t.Context(), key, value) })
}

func testConfig(t *testing.T, db *meta.DB) {
	diff(t, "missing key", configValue{}, config(t, db, "chunk.avg"))
	diff(t, "schema version", configValue{strconv.Itoa(meta.SchemaVersion), true}, config(t, db, "schema_version"))
	setConfig(t, db, "chunk.avg", "1048576")
	diff(t, "after set", configValue{"1048576", true}, config(t, db, "chunk.avg"))
	setConfig(t, db, "chunk.avg", "")
	diff(t, "after overwrite with empty", configValue{"", true}, config(t, db, "chunk.avg"))
	setConfig(t, db, "chunk.avg", "65536")
	diff(t, "after overwrite", configValue{"65536", true}, config(t, db, "chunk.avg"))
	diff(t, "other key", configValue{}, config(t, db, "chunk.min"))
}

// testClusterID: servers asking at once for the cluster's ID all get the
// one the first made up, and it stays.
func testClusterID(t *testing.T, db *meta.DB) {
	ids := make([]string, 8)
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() { ids[i], errs[i] = db.ClusterID(t.Context()) })
	}
	wg.Wait()
	for i, id := range ids {
		if errs[i] != nil || id == "" || id != ids[0] {
			t.Fatalf("ClusterID %d = %q, %v; want %q like the first, not empty", i, id, errs[i], ids[0])
		}
	}
	if id, err := db.ClusterID(t.Context()); err != nil || id != ids[0] {
		t.Errorf("ClusterID later = %q, %v; want %q", id, err, ids[0])
	}
}

func testRollback(t *testing.T, db *meta.DB) {
	ctx := t.Context()
	setConfig(t, db, "k", "before")
	errStop := errors.New("stop")
	err := db.Update(ctx, func(tx *meta.Tx) error {
		steps := []error{
			tx.SetConfig(ctx, "k", "after"),
			tx.CreateRepo(ctx, newRepo("images")),
			tx.PutBranch(ctx, project, "images", "master", "c1", t0),
			tx.InsertCommit(ctx, project, newCommit("images", "c1", "", t0)),
		}
		if _, err := tx.Lease(ctx, []string{"obj"}, at(time.Hour)); err != nil {
			return err
		}
		if err := errors.Join(steps...); err != nil {
			return err
		}
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("Update returned %v, want the error of fn", err)
	}
	diff(t, "config", configValue{"before", true}, config(t, db, "k"))
	view(t, db, func(tx *meta.Tx) error {
		_, err := tx.Repo(ctx, project, "images")
		wantKind(t, err, tusk.KindNotFound, true)
		_, err = tx.Branch(ctx, project, "images", "master")
		wantKind(t, err, tusk.KindNotFound, true)
		_, err = tx.Commit(ctx, project, "images", "c1")
		wantKind(t, err, tusk.KindNotFound, true)
		expired, err := tx.ExpiredObjects(ctx, at(1000*time.Hour))
		diff(t, "objects", []string(nil), expired)
		return err
	})
}

// testConcurrentUpdates increments a counter from several goroutines with
// read-modify-write transactions: the store must serialize them (retrying
// where the database reports a conflict) so that no increment is lost.
func testConcurrentUpdates(t *testing.T, db *meta.DB) {
	const workers, increments = 8, 25
	ctx := t.Context()
	setConfig(t, db, "counter", "0")
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range increments {
				err := db.Update(ctx, func(tx *meta.Tx) error {
					v, _, err := tx.Config(ctx, "counter")
					if err != nil {
						return err
					}
					n, err := strconv.Atoi(v)
					if err != nil {
						return err
					}
					return tx.SetConfig(ctx, "counter", strconv.Itoa(n+1))
				})
				if err != nil {
					t.Errorf("increment: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	diff(t, "counter", configValue{strconv.Itoa(workers * increments), true}, config(t, db, "counter"))
}

// testTimePrecision stores times from a zone other than UTC and expects
// them back to the nanosecond, in UTC.
func testTimePrecision(t *testing.T, db *meta.DB) {
	ctx := t.Context()
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	created := time.Date(2031, 12, 31, 23, 59, 59, 999999999, zone)
	started := time.Date(1999, 1, 2, 3, 4, 5, 1, zone)
	finished := started.Add(time.Nanosecond)
	r := newRepo("times")
	r.Created = created
	c := newCommit("times", "c1", "", started)
	c.State, c.Finished = tusk.CommitFinished, &finished
	update(t, db, func(tx *meta.Tx) error {
		return errors.Join(tx.CreateRepo(ctx, r), tx.InsertCommit(ctx, project, c),
			tx.PutBranch(ctx, project, "times", "master", "c1", created))
	})
	var gr tusk.Repo
	var gc meta.CommitRow
	var gb tusk.Branch
	view(t, db, func(tx *meta.Tx) error {
		var err1, err2, err3 error
		gr, err1 = tx.Repo(ctx, project, "times")
		gc, err2 = tx.Commit(ctx, project, "times", "c1")
		gb, err3 = tx.Branch(ctx, project, "times", "master")
		return errors.Join(err1, err2, err3)
	})
	if gc.Finished == nil {
		t.Fatal("Finished is nil after the round trip")
	}
	got := []time.Time{gr.Created, gc.Started, *gc.Finished, gb.Created}
	want := []time.Time{created.UTC(), started.UTC(), finished.UTC(), created.UTC()}
	for i := range want {
		if !got[i].Equal(want[i]) || got[i].Nanosecond() != want[i].Nanosecond() || got[i].Location() != time.UTC {
			t.Errorf("time %d: got %v (%v), want %v in UTC", i, got[i], got[i].Location(), want[i])
		}
	}
}

func testUTF8(t *testing.T, db *meta.DB) {
	ctx := t.Context()
	names := []string{"données", "日本語", "emoji-🦀", "ascii"}
	desc := "Ünïcödé — ✓ 🦀\n\ttabs, quotes ' \" and a backslash \\"
	update(t, db, func(tx *meta.Tx) error {
		for _, n := range names {
			r := newRepo(n)
			r.Description = desc
			if err := errors.Join(tx.CreateRepo(ctx, r), tx.PutBranch(ctx, project, n, "ветка", "→1", t0)); err != nil {
				return err
			}
		}
		c := newCommit("日本語", "→1", "", t0)
		c.Description = desc
		return errors.Join(tx.InsertCommit(ctx, project, c), tx.SetConfig(ctx, "ключ", desc))
	})
	repos := get(t, db, func(tx *meta.Tx) ([]tusk.Repo, error) { return tx.Repos(ctx, project) })
	var want []tusk.Repo
	for _, n := range names {
		r := newRepo(n)
		r.Description = desc
		want = append(want, r)
	}
	diff(t, "repos", want, repos, cmpopts.SortSlices(func(a, b tusk.Repo) bool { return a.Name < b.Name }))
	b := get(t, db, func(tx *meta.Tx) (tusk.Branch, error) { return tx.Branch(ctx, project, "emoji-🦀", "ветка") })
	diff(t, "branch", tusk.Branch{Project: project, Repo: "emoji-🦀", Name: "ветка", Head: "→1", Created: t0}, b)
	c := get(t, db, func(tx *meta.Tx) (meta.CommitRow, error) { return tx.Commit(ctx, project, "日本語", "→1") })
	diff(t, "commit description", desc, c.Description)
	diff(t, "config", configValue{desc, true}, config(t, db, "ключ"))
}
