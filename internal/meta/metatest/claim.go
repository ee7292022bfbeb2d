package metatest

import (
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
