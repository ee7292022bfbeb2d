package metatest

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
)

func oidcAttempt(n int, expires time.Time) meta.OIDCAttempt {
	s := strconv.Itoa(n)
	return meta.OIDCAttempt{KeyHash: "key" + s, StateHash: "state" + s, Secrets: []byte("sealed\x00" + s), Expires: expires}
}

func addOIDC(t *testing.T, db *meta.DB, a meta.OIDCAttempt, now time.Time, max int) bool {
	t.Helper()
	added, err := db.AddOIDCAttempt(t.Context(), a, now, max)
	if err != nil {
		t.Fatal(err)
	}
	return added
}

func takeOIDC(t *testing.T, db *meta.DB, keyHash string) (meta.OIDCAttempt, bool) {
	t.Helper()
	a, found, err := db.TakeOIDCOutcome(t.Context(), keyHash)
	if err != nil {
		t.Fatal(err)
	}
	return a, found
}

func testOIDCAttempts(t *testing.T, db *meta.DB) {
	ctx := t.Context()
	a1, a2 := oidcAttempt(1, at(10*time.Minute)), oidcAttempt(2, at(20*time.Minute))
	for _, a := range []meta.OIDCAttempt{a1, a2} {
		if !addOIDC(t, db, a, t0, 2) {
			t.Fatalf("attempt %s was not added", a.KeyHash)
		}
	}
	if addOIDC(t, db, oidcAttempt(3, at(30*time.Minute)), t0, 2) {
		t.Error("a third attempt was added past the bound of two")
	}

	if ok, err := db.FinishOIDCAttempt(ctx, a1.KeyHash, []byte("early")); err != nil || ok {
		t.Errorf("finishing an attempt whose state is not redeemed: %v, %v", ok, err)
	}
	got, ok, err := db.RedeemOIDCState(ctx, a1.StateHash)
	if err != nil || !ok {
		t.Fatalf("redeem: %v, %v", ok, err)
	}
	diff(t, "redeemed attempt", a1, got)
	if _, ok, err := db.RedeemOIDCState(ctx, a1.StateHash); err != nil || ok {
		t.Errorf("a second redeem of a state: %v, %v; want refused", ok, err)
	}
	if _, ok, err := db.RedeemOIDCState(ctx, "unknown"); err != nil || ok {
		t.Errorf("redeem of an unknown state: %v, %v", ok, err)
	}

	// Before it has an outcome, an attempt is found and stays.
	if a, found := takeOIDC(t, db, a1.KeyHash); !found || a.Outcome != nil || !a.Expires.Equal(a1.Expires) {
		t.Errorf("take before the outcome: %+v, %v", a, found)
	}
	if ok, err := db.FinishOIDCAttempt(ctx, a1.KeyHash, []byte("outcome\x00")); err != nil || !ok {
		t.Fatalf("finish: %v, %v", ok, err)
	}
	if ok, err := db.FinishOIDCAttempt(ctx, a1.KeyHash, []byte("another")); err != nil || ok {
		t.Errorf("a second finish: %v, %v; want refused", ok, err)
	}
	if a, found := takeOIDC(t, db, a1.KeyHash); !found || string(a.Outcome) != "outcome\x00" {
		t.Errorf("take: %+v, %v", a, found)
	}
	if a, found := takeOIDC(t, db, a1.KeyHash); found {
		t.Errorf("an outcome was taken twice: %+v", a)
	}

	// Expired attempts go when one is added.
	if !addOIDC(t, db, oidcAttempt(4, at(time.Hour)), at(15*time.Minute), 2) {
		t.Fatal("an attempt was not added after the first was taken")
	}
	if !addOIDC(t, db, oidcAttempt(5, at(time.Hour)), at(25*time.Minute), 2) {
		t.Error("an attempt was not added when an expired one held its place")
	}
	if _, found := takeOIDC(t, db, a2.KeyHash); found {
		t.Error("an expired attempt is still there")
	}
}

// testOIDCRaces has servers race on one state and one outcome: exactly
// one of them wins each.
func testOIDCRaces(t *testing.T, db *meta.DB) {
	ctx := t.Context()
	a := oidcAttempt(1, at(time.Hour))
	if !addOIDC(t, db, a, t0, 10) {
		t.Fatal("not added")
	}
	const racers = 8
	var redeemed, taken atomic.Int32
	var wg sync.WaitGroup
	for range racers {
		wg.Go(func() {
			_, ok, err := db.RedeemOIDCState(ctx, a.StateHash)
			if err != nil {
				t.Error(err)
			}
			if ok {
				redeemed.Add(1)
			}
		})
	}
	wg.Wait()
	if ok, err := db.FinishOIDCAttempt(ctx, a.KeyHash, []byte("outcome")); err != nil || !ok {
		t.Fatalf("finish: %v, %v", ok, err)
	}
	for range racers {
		wg.Go(func() {
			got, found, err := db.TakeOIDCOutcome(ctx, a.KeyHash)
			if err != nil {
				t.Error(err)
			}
			if found && got.Outcome != nil {
				taken.Add(1)
			}
		})
	}
	wg.Wait()
	if redeemed.Load() != 1 || taken.Load() != 1 {
		t.Errorf("%d racers redeemed the state and %d took the outcome, want 1 each", redeemed.Load(), taken.Load())
	}
}
