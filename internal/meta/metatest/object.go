package metatest

import (
	"fmt"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
)

func lease(t *testing.T, db *meta.DB, until time.Time, keys ...string) []int {
	t.Helper()
	var states []int
	update(t, db, func(tx *meta.Tx) (err error) {
		states, err = tx.Lease(t.Context(), keys, until)
		return err
	})
	return states
}

func markWritten(t *testing.T, db *meta.DB, keys ...string) {
	t.Helper()
	update(t, db, func(tx *meta.Tx) error { return tx.MarkWritten(t.Context(), keys) })
}

func expired(t *testing.T, db *meta.DB, now time.Time) []string {
	t.Helper()
	return get(t, db, func(tx *meta.Tx) ([]string, error) { return tx.ExpiredObjects(t.Context(), now) })
}

func claim(t *testing.T, db *meta.DB, key string, now time.Time) bool {
	t.Helper()
	var ok bool
	update(t, db, func(tx *meta.Tx) (err error) {
		ok, err = tx.ClaimForDeletion(t.Context(), key, now)
		return err
	})
	return ok
}

func known(t *testing.T, db *meta.DB, key string) bool {
	t.Helper()
	return get(t, db, func(tx *meta.Tx) (bool, error) { return tx.ObjectKnown(t.Context(), key) })
}

func testObjectLeaseNew(t *testing.T, db *meta.DB) {
	hour := at(time.Hour)
	diff(t, "states of new keys", []int{meta.ObjectMissing, meta.ObjectMissing}, lease(t, db, hour, "k2", "k1"))
	// The rows exist: they expire with the lease.
	if got := expired(t, db, hour); len(got) != 0 {
		t.Errorf("expired at the end of the lease = %v, want none", got)
	}
	diff(t, "expired after the lease", []string{"k1", "k2"}, expired(t, db, hour.Add(time.Nanosecond)))
	// Leasing an unwritten key again still reports it missing.
	diff(t, "states of unwritten keys", []int{meta.ObjectMissing, meta.ObjectMissing, meta.ObjectMissing},
		lease(t, db, at(2*time.Hour), "k1", "k3", "k2"))
	diff(t, "expired after the first lease", []string(nil), expired(t, db, hour.Add(time.Nanosecond)))
	if known(t, db, "k1") {
		t.Error("ObjectKnown of an unwritten key = true, want false")
	}
	if got := lease(t, db, hour); len(got) != 0 {
		t.Errorf("Lease of no keys = %v, want none", got)
	}
}

func testObjectLeaseWritten(t *testing.T, db *meta.DB) {
	lease(t, db, at(time.Hour), "k")
	markWritten(t, db, "k")
	diff(t, "state after MarkWritten", []int{meta.ObjectPresent}, lease(t, db, at(2*time.Hour), "k"))
	diff(t, "expired before the extended lease ends", []string(nil), expired(t, db, at(2*time.Hour)))

	// A shorter lease never shortens the one in place.
	diff(t, "state on a shorter lease", []int{meta.ObjectPresent}, lease(t, db, at(30*time.Minute), "k"))
	diff(t, "expired after the shorter lease", []string(nil), expired(t, db, at(90*time.Minute)))
	diff(t, "expired after the longest lease", []string{"k"}, expired(t, db, at(2*time.Hour+1)))

	// An expired, written object can be leased again.
	diff(t, "state of an expired object", []int{meta.ObjectPresent}, lease(t, db, at(3*time.Hour), "k"))
	diff(t, "expired after renewal", []string(nil), expired(t, db, at(2*time.Hour+1)))
}

func testObjectClaimForDeletion(t *testing.T, db *meta.DB) {
	lease(t, db, at(time.Hour), "k", "other")
	markWritten(t, db, "k")
	if claim(t, db, "k", at(30*time.Minute)) {
		t.Fatal("ClaimForDeletion of a leased object = true, want false")
	}
	if claim(t, db, "k", at(time.Hour)) {
		t.Fatal("ClaimForDeletion at the end of the lease = true, want false")
	}
	diff(t, "state after a refused claim", []int{meta.ObjectPresent}, lease(t, db, at(time.Hour), "k"))
	if claim(t, db, "missing", at(2*time.Hour)) {
		t.Error("ClaimForDeletion of a missing object = true, want false")
	}
	if !claim(t, db, "k", at(2*time.Hour)) {
		t.Fatal("ClaimForDeletion of an expired object = false, want true")
	}
	diff(t, "state while deleting", []int{meta.ObjectDeleting, meta.ObjectMissing}, lease(t, db, at(3*time.Hour), "k", "new"))
	if claim(t, db, "other", at(30*time.Minute)) {
		t.Error("ClaimForDeletion of the other, leased object = true, want false")
	}
	// The unwritten upload expired too: the collector may claim it as well.
	if !claim(t, db, "other", at(2*time.Hour)) {
		t.Error("ClaimForDeletion of an expired upload = false, want true")
	}
}

func testObjectForget(t *testing.T, db *meta.DB) {
	lease(t, db, at(time.Hour), "k", "kept")
	markWritten(t, db, "k")
	markWritten(t, db, "kept")
	if !claim(t, db, "k", at(2*time.Hour)) {
		t.Fatal("ClaimForDeletion of an expired object = false, want true")
	}
	update(t, db, func(tx *meta.Tx) error { return tx.ForgetObject(t.Context(), "k") })
	if known(t, db, "k") {
		t.Error("ObjectKnown after ForgetObject = true, want false")
	}
	diff(t, "expired after ForgetObject", []string{"kept"}, expired(t, db, at(2*time.Hour)))
	diff(t, "state after ForgetObject", []int{meta.ObjectMissing}, lease(t, db, at(3*time.Hour), "k"))
	if known(t, db, "k") {
		t.Error("ObjectKnown of a forgotten, re-leased key = true, want false")
	}
	update(t, db, func(tx *meta.Tx) error { return tx.ForgetObject(t.Context(), "never-stored") })
}

func testObjectKnown(t *testing.T, db *meta.DB) {
	if known(t, db, "k") {
		t.Error("ObjectKnown of a missing key = true, want false")
	}
	lease(t, db, at(time.Hour), "k")
	if known(t, db, "k") {
		t.Error("ObjectKnown of a leased, unwritten key = true, want false")
	}
	markWritten(t, db, "k")
	if !known(t, db, "k") {
		t.Error("ObjectKnown of a written key = false, want true")
	}
	markWritten(t, db, "unleased")
	if known(t, db, "unleased") {
		t.Error("MarkWritten of a key never leased made it known")
	}
}

// testObjectMarkWrittenMany marks more keys at once than one statement
// takes, among them one the collector is deleting and one never leased.
func testObjectMarkWrittenMany(t *testing.T, db *meta.DB) {
	keys := make([]string, 1200)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%04d", i)
	}
	lease(t, db, at(time.Hour), keys...)
	if !claim(t, db, "k0700", at(2*time.Hour)) {
		t.Fatal("ClaimForDeletion of an expired object = false, want true")
	}
	markWritten(t, db, append(keys, "unleased")...)
	want := make([]int, len(keys))
	for i := range want {
		want[i] = meta.ObjectPresent
	}
	want[700] = meta.ObjectDeleting
	diff(t, "states after marking 1200 keys written", want, lease(t, db, at(3*time.Hour), keys...))
	if known(t, db, "unleased") {
		t.Error("MarkWritten of a key never leased made it known")
	}
}
