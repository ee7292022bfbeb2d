package metatest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

func testTxns(t *testing.T, db *meta.DB) {
	ctx := t.Context()
	b := meta.TxnRecord{ID: "b", Created: t0, Version: 0, Data: []byte(`{"requests":[]}`)}
	a := meta.TxnRecord{ID: "a", Created: at(time.Minute), Version: 0, Data: []byte(`{"requests":["é"]}`)}
	update(t, db, func(tx *meta.Tx) error {
		for _, r := range []meta.TxnRecord{b, a} {
			if err := tx.InsertTxn(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
	err := db.Update(ctx, func(tx *meta.Tx) error { return tx.InsertTxn(ctx, a) })
	if !errors.Is(err, tusk.ErrExists) {
		t.Errorf("inserting transaction a again: %v, want exists", err)
	}
	all := get(t, db, func(tx *meta.Tx) ([]meta.TxnRecord, error) { return tx.Txns(ctx) })
	if diff := cmp.Diff([]meta.TxnRecord{b, a}, all); diff != "" {
		t.Errorf("transactions, oldest first (-want +got):\n%s", diff)
	}

	// An update names the version it makes; one made from a stale read
	// is a conflict and changes nothing.
	a2 := a
	a2.Version, a2.Data = 1, []byte(`{"requests":["é","f"]}`)
	update(t, db, func(tx *meta.Tx) error { return tx.UpdateTxn(ctx, a2) })
	stale := a
	stale.Version, stale.Data = 1, []byte(`{"stale":true}`)
	err = db.Update(ctx, func(tx *meta.Tx) error { return tx.UpdateTxn(ctx, stale) })
	if tusk.KindOf(err) != tusk.KindConflict {
		t.Errorf("update from a stale read: %v, want a conflict", err)
	}
	got := get(t, db, func(tx *meta.Tx) (meta.TxnRecord, error) { return tx.Txn(ctx, "a") })
	if diff := cmp.Diff(a2, got); diff != "" {
		t.Errorf("transaction a after updates (-want +got):\n%s", diff)
	}

	update(t, db, func(tx *meta.Tx) error { return tx.DeleteTxn(ctx, "a") })
	err = db.View(ctx, func(tx *meta.Tx) error { _, err := tx.Txn(ctx, "a"); return err })
	var nf *meta.NotFound
	if !errors.As(err, &nf) || nf.What != meta.MissingTxn {
		t.Errorf("reading a deleted transaction: %v, want a NotFound of a transaction", err)
	}
	err = db.Update(ctx, func(tx *meta.Tx) error { return tx.DeleteTxn(ctx, "a") })
	if !errors.Is(err, tusk.ErrNotFound) {
		t.Errorf("deleting a deleted transaction: %v, want not found", err)
	}
	err = db.Update(ctx, func(tx *meta.Tx) error { return tx.UpdateTxn(ctx, a2) })
	if !errors.Is(err, tusk.ErrNotFound) {
		t.Errorf("updating a deleted transaction: %v, want not found", err)
	}
}
