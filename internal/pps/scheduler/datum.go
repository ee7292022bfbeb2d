package scheduler

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// The datums table is the work queue: a datum's row holds its record,
// its state and the end of its lease, which the worker protocol's
// transactions read and change (task.go, datumbatch.go).

// datumRecord is a datum as stored: what the API shows, plus the files it
// output and the environment its command gets.
type datumRecord struct {
	tusk.DatumInfo
	Env   []string       `json:"env,omitempty"`
	Files []fileset.File `json:"files,omitempty"`
	// Claim counts the claims of the datum by workers; the current one is
	// the only one whose heartbeats and results count. Claimed is when it
	// was made.
	Claim   int        `json:"claim,omitempty"`
	Claimed *time.Time `json:"claimed,omitempty"`
	// Server is the server that made the current claim: its worker
	// asked that server, and dies with it (giveBack).
	Server string `json:"server,omitempty"`
	// Lost counts the claims in a row whose worker was lost: its lease
	// ran out (see maxLostLeases).
	Lost int `json:"lost,omitempty"`
}

// leased reports whether a datum is claimed by a worker.
func leased(d *datumRecord) bool {
	return d.State == tusk.DatumStarting || d.State == tusk.DatumRunning
}

func storeDatum(ctx context.Context, tx *meta.Tx, d *datumRecord, lease time.Time) error {
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return tx.PutDatum(ctx, project, d.Pipeline, d.Job, d.ID, d.Index, d.State, lease, b)
}

func decodeDatum(b []byte) (*datumRecord, error) {
	var d datumRecord
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("datum record: %w", err)
	}
	return &d, nil
}

// datumsIn returns the records of a job's own datums in a state, at most
// limit of them (0: all).
func datumsIn(ctx context.Context, tx *meta.Tx, pipeline, job, state string, limit int) ([]*datumRecord, error) {
	docs, err := tx.Datums(ctx, project, pipeline, job, state, -1, 0, limit)
	if err != nil {
		return nil, err
	}
	out := make([]*datumRecord, len(docs))
	for i, doc := range docs {
		if out[i], err = decodeDatum(doc); err != nil {
			return nil, err
		}
	}
	return out, nil
}
