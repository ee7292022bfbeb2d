package scheduler

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pps"
	"github.com/tuskdata/tusk/internal/tusk"
)

// A controller holding an old copy of a job that was stopped meanwhile
// must not bring it back: an ended job keeps its final state.
func TestEndedJobKeepsItsState(t *testing.T) {
	ctx := context.Background()
	db, err := meta.Open(ctx, filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store := func(j tusk.JobInfo) error {
		return db.Update(ctx, func(tx *meta.Tx) error { return storeJob(ctx, tx, &j) })
	}
	j := tusk.JobInfo{Pipeline: "p", ID: "0123456789abcdef0123456789abcdef", State: tusk.JobRunning, Created: now()}
	if err := store(j); err != nil {
		t.Fatal(err)
	}
	killed := j
	killed.State = tusk.JobKilled
	if err := store(killed); err != nil {
		t.Fatalf("RUNNING → KILLED: %v", err)
	}
	if err := store(j); !errors.Is(err, errJobEnded) {
		t.Errorf("KILLED → RUNNING: error = %v, want errJobEnded", err)
	}
	killed.Reason = "stopped by the user"
	if err := store(killed); err != nil {
		t.Errorf("KILLED → KILLED with a reason: %v", err)
	}
	var got *tusk.JobInfo
	err = db.View(ctx, func(tx *meta.Tx) (err error) {
		got, err = pps.LoadJob(ctx, tx, j.Pipeline, j.ID)
		return err
	})
	if err != nil || got.State != tusk.JobKilled {
		t.Errorf("stored job: %+v, %v; want KILLED", got, err)
	}
}
