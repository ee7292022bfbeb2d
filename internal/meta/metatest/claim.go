package metatest

import (
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
)

func testExpireLeases(t *testing.T, db *meta.DB) {
	ctx := t.Context()
	now := at(0)
	update(t, db, func(tx *meta.Tx) error {
		for i, d := range []struct {
			id, state string
			lease     time.Time
		}{
			{"queued", "QUEUED", time.Time{}},
			{"running", "RUNNING", now.Add(time.Hour)},
			{"done", "SUCCESS", time.Time{}},
		} {
			if err := tx.PutDatum(ctx, project, "p", "j", d.id, int64(i), d.state, d.lease, []byte(`{}`)); err != nil {
				return err
			}
		}
		return nil
	})
	claimable := func() int {
		return len(get(t, db, func(tx *meta.Tx) ([][]byte, error) { return tx.ClaimableDatums(ctx, project, "p", "j", now, 10) }))
	}
	if n := claimable(); n != 1 {
		t.Fatalf("claimable before: %d datums, want the queued one", n)
	}
	var expired int64
	update(t, db, func(tx *meta.Tx) (err error) {
		expired, err = tx.ExpireLeases(ctx, project)
		return err
	})
	if expired != 1 {
		t.Errorf("ExpireLeases = %d, want 1 (the running datum)", expired)
	}
	if n := claimable(); n != 2 {
		t.Errorf("claimable after: %d datums, want the queued and the running one", n)
	}
}
