package metatest

import (
	"fmt"
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
	docs := get(t, db, func(tx *meta.Tx) ([][]byte, error) { return tx.ClaimableDatums(ctx, project, "p", "j", now, 10) })
	var got []string
	for _, d := range docs {
		got = append(got, string(d))
	}
	want := []string{`{"id":"queued"}`, `{"id":"starting-lost"}`, `{"id":"running-lost"}`}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("claimable datums = %v, want %v", got, want)
	}
	var n int
	view(t, db, func(tx *meta.Tx) (err error) {
		n, err = tx.CountClaimableDatums(ctx, project, "p", "j", now, 10)
		return err
	})
	if n != 3 {
		t.Errorf("CountClaimableDatums = %d, want 3", n)
	}
	if docs := get(t, db, func(tx *meta.Tx) ([][]byte, error) { return tx.ClaimableDatums(ctx, project, "p", "j", now, 2) }); len(docs) != 2 {
		t.Errorf("ClaimableDatums with n = 2 returned %d", len(docs))
	}
}

// testDatumBatches checks that PutDatums stores many datums at once,
// replacing those that exist, over more than one statement, and that
// DatumsByID finds them by ID, leaving out IDs of no datum.
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
