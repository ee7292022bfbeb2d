package oidc

import (
	"context"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
)

// Attempts keeps the logins in progress where every server sharing it
// finds them, so that the provider's redirect and the CLI's wait may
// reach any server: *meta.DB is one. Redeeming a state and taking an
// outcome are conditional, so when servers race on them, one wins.
type Attempts interface {
	// AddOIDCAttempt removes the attempts that expired before now, then
	// stores a unless max are in progress.
	AddOIDCAttempt(ctx context.Context, a meta.OIDCAttempt, now time.Time, max int) (added bool, err error)
	// RedeemOIDCState marks the attempt of a state redeemed and returns
	// it, once.
	RedeemOIDCState(ctx context.Context, stateHash string) (a meta.OIDCAttempt, ok bool, err error)
	// FinishOIDCAttempt stores the outcome of a redeemed attempt, once.
	FinishOIDCAttempt(ctx context.Context, keyHash string, outcome []byte) (ok bool, err error)
	// TakeOIDCOutcome returns the attempt of a key, and removes it if it
	// has an outcome.
	TakeOIDCOutcome(ctx context.Context, keyHash string) (a meta.OIDCAttempt, found bool, err error)
}
