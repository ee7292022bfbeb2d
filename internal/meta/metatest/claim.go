package metatest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
)

// testClaimableDatums checks that a worker may claim queued datums and
// claimed ones (STARTING or RUNNING) whose lease ran out, queued first.
func testClaimableDatums(t *testing.T, db *meta.DB) {
	ctx := t.Context()
	now := at(0)
	update(t, db, func(tx *meta.Tx) error {
		for i, d := range []struct {
			id, state string
			lease     time.Time
		}{
			{"starting-lost", "STARTING", now.Add(-time.Second)},
			{"running", "RUNNING", now.Add(time.Hour)},
			{"queued", "QUEUED", time.Time{}},
			{"running-lost", "RUNNING", now.Add(-time.Second)},
			{"starting", "STARTING", now.Add(time.Hour)},
			{"done", "SUCCESS", time.Time{}},
		} {
			if err := tx.PutDatum(ctx, project, "p", "j", d.id, int64(i), d.state, d.lease, []byte(`{"id":"`+d.id+`"}`)); err != nil {
				return err
			}
		}
		return nil
	})
	claim := func(job string, size meta.SetSize) []string {
		t.Helper()
		docs := get(t, db, func(tx *meta.Tx) ([][]byte, error) { return tx.ClaimableDatums(ctx, project, "p", job, now, size) })
		var ids []string
		for _, d := range docs {
			ids = append(ids, string(d))
		}
		return ids
	}
	if got, want := claim("j", meta.SetSize{N: 10}), []string{`{"id":"queued"}`, `{"id":"starting-lost"}`, `{"id":"running-lost"}`}; !slices.Equal(got, want) {
		t.Errorf("claimable datums = %v, want %v", got, want)
	}
	if got := claim("j", meta.SetSize{N: 2}); len(got) != 2 {
		t.Errorf("ClaimableDatums with N = 2 returned %d", len(got))
	}
	// A set sized by a spread is of queued datums while there are any,
	// then of expired ones.
	if got, want := claim("j", meta.SetSize{N: 10, Spread: 1}), []string{`{"id":"queued"}`}; !slices.Equal(got, want) {
		t.Errorf("claimable datums with a spread = %v, want %v", got, want)
	}
	update(t, db, func(tx *meta.Tx) error {
		for i := range 7 {
			if err := tx.PutDatum(ctx, project, "p", "k", fmt.Sprint(i), int64(i), "QUEUED", time.Time{}, fmt.Appendf(nil, "%d", i)); err != nil {
				return err
			}
		}
		for i := range 3 {
			if err := tx.PutDatum(ctx, project, "p", "e", fmt.Sprint(i), int64(i), "RUNNING", now.Add(-time.Second), fmt.Appendf(nil, "%d", i)); err != nil {
				return err
			}
		}
		return nil
	})
	for _, c := range []struct {
		job  string
		size meta.SetSize
		want int
	}{
		{"k", meta.SetSize{N: 3, Spread: 2}, 3},  // 7 queued over 2, at most 3
		{"k", meta.SetSize{N: 10, Spread: 2}, 3}, // 7 over 2
		{"k", meta.SetSize{N: 10, Spread: 3}, 2}, // 7 over 3
		{"k", meta.SetSize{N: 10, Spread: 8}, 1}, // at least 1
		{"e", meta.SetSize{N: 10, Spread: 2}, 3}, // expired ones, when none is queued: a dead worker's set whole
		{"e", meta.SetSize{N: 2, Spread: 2}, 2},
	} {
		if got := claim(c.job, c.size); len(got) != c.want {
			t.Errorf("ClaimableDatums of job %s with %+v returned %d datums, want %d", c.job, c.size, len(got), c.want)
		}
	}
}

// testQueuedDatumsFrom checks that a claim from a cursor takes queued
// datums from its index on, in index order, and that DatumsEnd is the
// index past the job's last datum.
func testQueuedDatumsFrom(t *testing.T, db *meta.DB) {
	ctx := t.Context()
	update(t, db, func(tx *meta.Tx) error {
		for i, state := range []string{"QUEUED", "SUCCESS", "QUEUED", "RUNNING", "QUEUED", "QUEUED", "FAILED"} {
			if err := tx.PutDatum(ctx, project, "p", "j", fmt.Sprint(i), int64(i), state, time.Time{}, fmt.Appendf(nil, "%d", i)); err != nil {
				return err
			}
		}
		return tx.PutDatum(ctx, project, "p", "other", "9", 9, "QUEUED", time.Time{}, []byte("9"))
	})
	for _, c := range []struct {
		from int64
		n    int
		want []string
	}{
		{0, 10, []string{"0", "2", "4", "5"}},
		{1, 2, []string{"2", "4"}},
		{3, 10, []string{"4", "5"}},
		{6, 10, nil},
		{0, 0, nil},
	} {
		docs := get(t, db, func(tx *meta.Tx) ([][]byte, error) { return tx.QueuedDatumsFrom(ctx, project, "p", "j", c.from, c.n) })
		var got []string
		for _, d := range docs {
			got = append(got, string(d))
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("QueuedDatumsFrom(%d, %d) = %v, want %v", c.from, c.n, got, c.want)
		}
	}
	for job, want := range map[string]int64{"j": 7, "other": 10, "none": 0} {
		var end int64
		update(t, db, func(tx *meta.Tx) (err error) {
			end, err = tx.DatumsEnd(ctx, project, "p", job)
			return err
		})
		if end != want {
			t.Errorf("DatumsEnd of job %s = %d, want %d", job, end, want)
		}
	}
}

// testDatumBatches checks that PutDatums stores many datums at once,
// replacing those that exist (over more than one statement on SQLite),
// and that DatumsByID finds them by ID, leaving out IDs of no datum.
func testDatumBatches(t *testing.T, db *meta.DB) {
	ctx := t.Context()
	var rows []meta.DatumPut
	for i := range 250 {
		rows = append(rows, meta.DatumPut{Pipeline: "p", Job: "j", ID: fmt.Sprintf("d%03d", i), Index: int64(i), State: "QUEUED",
			Data: fmt.Appendf(nil, `{"n":%d}`, i)})
	}
	update(t, db, func(tx *meta.Tx) error { return tx.PutDatums(ctx, project, rows) })
	rows[7].State, rows[7].LeaseUntil, rows[7].Data = "RUNNING", at(time.Hour), []byte(`{"n":"seven"}`)
	update(t, db, func(tx *meta.Tx) error { return tx.PutDatums(ctx, project, rows[7:8]) })
	var got map[string][]byte
	update(t, db, func(tx *meta.Tx) (err error) {
		got, err = tx.DatumsByID(ctx, project, "p", "j", []string{"d000", "d007", "d249", "nosuch"})
		return err
	})
	want := map[string]string{"d000": `{"n":0}`, "d007": `{"n":"seven"}`, "d249": `{"n":249}`}
	if len(got) != len(want) {
		t.Errorf("DatumsByID found %d datums, want %d", len(got), len(want))
	}
	for id, data := range want {
		if string(got[id]) != data {
			t.Errorf("datum %s = %s, want %s", id, got[id], data)
		}
	}
	n := get(t, db, func(tx *meta.Tx) ([][]byte, error) { return tx.Datums(ctx, project, "p", "j", "QUEUED", -1, 0, 0) })
	if len(n) != 249 {
		t.Errorf("%d queued datums after storing 250 and running one, want 249", len(n))
	}
}
