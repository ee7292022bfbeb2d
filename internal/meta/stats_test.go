package meta_test

import (
	"testing"

	"github.com/tuskdata/tusk/internal/meta"
)

func TestStatsCountTransactions(t *testing.T) {
	ctx := t.Context()
	db := open(t, sqliteDSN(t))
	before := db.Stats()
	for range 3 {
		if err := db.View(ctx, func(*meta.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Update(ctx, func(tx *meta.Tx) error { return tx.SetConfig(ctx, "k", "v") }); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateVolatile(ctx, func(tx *meta.Tx) error { return tx.SetConfig(ctx, "k", "w") }); err != nil {
		t.Fatal(err)
	}
	after := db.Stats()
	if reads, writes := after.Reads-before.Reads, after.Writes-before.Writes; reads != 3 || writes != 2 || after.Retries != before.Retries {
		t.Errorf("3 views and 2 updates counted as %d reads, %d writes, %d retries", reads, writes, after.Retries-before.Retries)
	}
}
