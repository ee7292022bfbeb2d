package metatest

import (
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tuskdata/tusk/internal/meta"
)

const pipeline = "p"

// planned is a datum of a plan with its key as ID and hash.
func planned(key, state string, idx int64) meta.PlannedDatum {
	return meta.PlannedDatum{ID: "id" + key, State: state, Hash: "h" + key, Key: key, Index: idx, Data: []byte(`{"k":"` + key + `"}`)}
}

// plan stores a job's own datums, removals and place in the lineage.
func plan(t *testing.T, db *meta.DB, job string, base int64, removed []string, ds ...meta.PlannedDatum) {
	t.Helper()
	ctx := t.Context()
	update(t, db, func(tx *meta.Tx) error {
		if err := tx.ClearPlan(ctx, project, pipeline, job); err != nil {
			return err
		}
		if err := tx.InsertDatums(ctx, project, pipeline, job, ds); err != nil {
			return err
		}
		if err := tx.AddRemovedDatums(ctx, project, pipeline, job, removed); err != nil {
			return err
		}
		return tx.PutJobLineage(ctx, project, pipeline, meta.JobLineage{Job: job, Base: base, Total: int64(len(ds)), Signature: "s"})
	})
}

func promote(t *testing.T, db *meta.DB, job string) int64 {
	t.Helper()
	var g int64
	update(t, db, func(tx *meta.Tx) (err error) {
		g, err = tx.PromoteJob(t.Context(), project, pipeline, job)
		return err
	})
	return g
}

// visible lists the rows visible in gen (but job except's) as job/key.
func visible(t *testing.T, db *meta.DB, gen int64, except string) []string {
	t.Helper()
	return get(t, db, func(tx *meta.Tx) ([]string, error) {
		var out []string
		err := tx.VisibleDatumRows(t.Context(), project, pipeline, gen, except, true, func(r meta.DatumRow) error {
			if string(r.Data) != `{"k":"`+r.Key+`"}` || r.ID != "id"+r.Key || r.Hash != "h"+r.Key {
				t.Errorf("row %+v", r)
			}
			out = append(out, r.Job+r.Key)
			return nil
		})
		return out, err
	})
}

func testLineageGenerations(t *testing.T, db *meta.DB) {
	plan(t, db, "j1", 0, nil, planned("/a", "SUCCESS", 0), planned("/b", "SUCCESS", 1), planned("/c", "SUCCESS", 2))
	diff(t, "generation 1 before it exists", []string(nil), visible(t, db, 1, ""))
	if g := promote(t, db, "j1"); g != 1 {
		t.Fatalf("first generation = %d", g)
	}
	diff(t, "generation 1", []string{"j1/a", "j1/b", "j1/c"}, visible(t, db, 1, ""))
	// j2 runs b again and removes c.
	plan(t, db, "j2", 1, []string{"id/c"}, planned("/b", "SUCCESS", 0))
	diff(t, "generation 1 without j2's", []string{"j1/a"}, visible(t, db, 1, "j2"))
	if g := promote(t, db, "j2"); g != 2 {
		t.Fatalf("second generation = %d", g)
	}
	if g := promote(t, db, "j2"); g != 2 {
		t.Fatalf("promoting again = %d, want the same generation", g)
	}
	diff(t, "generation 2", []string{"j1/a", "j2/b"}, visible(t, db, 2, ""))
	diff(t, "generation 1, later", []string{"j1/a", "j1/b", "j1/c"}, visible(t, db, 1, ""))
	// j3 adds d and skips the rest.
	plan(t, db, "j3", 2, nil, planned("/d", "SUCCESS", 0))
	promote(t, db, "j3")
	diff(t, "generation 3", []string{"j1/a", "j2/b", "j3/d"}, visible(t, db, 3, ""))
	diff(t, "generation 2, later", []string{"j1/a", "j2/b"}, visible(t, db, 2, ""))
	rows := get(t, db, func(tx *meta.Tx) ([]meta.DatumRow, error) {
		return tx.VisibleDatums(t.Context(), project, pipeline, 2, []string{"id/a", "id/b", "id/c", "id/d"}, false)
	})
	var got []string
	for _, r := range rows {
		got = append(got, r.Job+r.Key)
	}
	diff(t, "datums of generation 2 by ID", []string{"j1/a", "j2/b"}, got, cmpopts.SortSlices(func(a, b string) bool { return a < b }))
	head := get(t, db, func(tx *meta.Tx) (meta.JobLineage, error) {
		l, _, err := tx.LineageHead(t.Context(), project, pipeline)
		return l, err
	})
	diff(t, "head", meta.JobLineage{Job: "j3", Base: 2, Gen: 3, Total: 1, Signature: "s"}, head)
}

// Keys sort bytewise, whatever the database's collation.
func testLineageKeyOrder(t *testing.T, db *meta.DB) {
	keys := []string{"/a", "/B", "/é", "/_x", "/a\x01\x02z", "/a/b", "/a.b", "/Z"}
	var ds []meta.PlannedDatum
	for i, k := range keys {
		ds = append(ds, planned(k, "SUCCESS", int64(i)))
	}
	plan(t, db, "j1", 0, nil, ds...)
	promote(t, db, "j1")
	diff(t, "order", []string{"j1/B", "j1/Z", "j1/_x", "j1/a", "j1/a\x01\x02z", "j1/a.b", "j1/a/b", "j1/é"}, visible(t, db, 1, ""))
	// The same in an older generation, which is read another way.
	plan(t, db, "j2", 1, nil, planned("/0", "SUCCESS", 0))
	promote(t, db, "j2")
	diff(t, "order in an older generation", []string{"j1/B", "j1/Z", "j1/_x", "j1/a", "j1/a\x01\x02z", "j1/a.b", "j1/a/b", "j1/é"},
		visible(t, db, 1, ""))
}

// A job planned on a generation that is no longer the newest cannot
// succeed: its datums would not be those of the new generation.
func testLineageStaleBase(t *testing.T, db *meta.DB) {
	plan(t, db, "j1", 0, nil, planned("/a", "SUCCESS", 0))
	plan(t, db, "j2", 0, nil, planned("/b", "SUCCESS", 0))
	promote(t, db, "j1")
	err := db.Update(t.Context(), func(tx *meta.Tx) error {
		_, err := tx.PromoteJob(t.Context(), project, pipeline, "j2")
		return err
	})
	if err == nil {
		t.Fatal("promoting a job planned on an old generation succeeded")
	}
	diff(t, "generation 1", []string{"j1/a"}, visible(t, db, 1, ""))
}

// Deleting a job keeps what later jobs share: the rows and place of a job
// that succeeded.
func testLineageDeleteJob(t *testing.T, db *meta.DB) {
	ctx := t.Context()
	plan(t, db, "j1", 0, nil, planned("/a", "SUCCESS", 0), planned("/b", "SUCCESS", 1))
	promote(t, db, "j1")
	plan(t, db, "j2", 1, []string{"id/a"}, planned("/c", "QUEUED", 0))
	update(t, db, func(tx *meta.Tx) error { return tx.DeleteJob(ctx, project, pipeline, "j1") })
	update(t, db, func(tx *meta.Tx) error { return tx.DeleteJob(ctx, project, pipeline, "j2") })
	diff(t, "generation 1 after deleting its job", []string{"j1/a", "j1/b"}, visible(t, db, 1, ""))
	removed := get(t, db, func(tx *meta.Tx) ([]string, error) { return tx.RemovedDatums(ctx, project, pipeline, "j2") })
	diff(t, "removed datums of a deleted job", []string(nil), removed)
	_, planned2 := get2(t, db, func(tx *meta.Tx) (meta.JobLineage, bool, error) { return tx.JobLineage(ctx, project, pipeline, "j2") })
	_, planned1 := get2(t, db, func(tx *meta.Tx) (meta.JobLineage, bool, error) { return tx.JobLineage(ctx, project, pipeline, "j1") })
	if planned2 || !planned1 {
		t.Errorf("lineage after deleting jobs: unfinished job kept %v, successful job kept %v", planned2, planned1)
	}
	plan(t, db, "j3", 1, nil, planned("/d", "SUCCESS", 0))
	if g := promote(t, db, "j3"); g != 2 {
		t.Errorf("generation after deletions = %d, want 2", g)
	}
	diff(t, "generation 2", []string{"j1/a", "j1/b", "j3/d"}, visible(t, db, 2, ""))
}

func testLineageClearPlan(t *testing.T, db *meta.DB) {
	ctx := t.Context()
	plan(t, db, "j1", 0, []string{"x"}, planned("/a", "QUEUED", 0))
	plan(t, db, "j1", 0, nil, planned("/b", "QUEUED", 0))
	rows := get(t, db, func(tx *meta.Tx) ([]string, error) {
		var out []string
		err := tx.JobDatumRows(ctx, project, pipeline, "j1", false, func(r meta.DatumRow) error {
			out = append(out, r.Key+" "+r.State)
			return nil
		})
		return out, err
	})
	diff(t, "datums of a job planned twice", []string{"/b QUEUED"}, rows)
	removed := get(t, db, func(tx *meta.Tx) ([]string, error) { return tx.RemovedDatums(ctx, project, pipeline, "j1") })
	diff(t, "removed datums of a job planned twice", []string(nil), removed)
}

func get2[T any](t *testing.T, db *meta.DB, fn func(*meta.Tx) (T, bool, error)) (T, bool) {
	t.Helper()
	var v T
	var ok bool
	view(t, db, func(tx *meta.Tx) error {
		var err error
		v, ok, err = fn(tx)
		return err
	})
	return v, ok
}
