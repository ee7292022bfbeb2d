package scheduler

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pps/datum"
	"github.com/tuskdata/tusk/internal/tusk"
)

// planBatch is how many datums planning decides on and stores at once.
const planBatch = 2000

// planWriter stores the datums of a job's plan as they are decided, a
// batch at a time in a transaction each, so that planning holds no more
// than a batch of them however many the job has. The first batch replaces
// any earlier plan of the job (from before a restart); the last one is
// stored with the datums the job removes, its place in the lineage and
// the job itself, so the job is RUNNING only with its whole plan.
type planWriter struct {
	s       *Scheduler
	j       *tusk.JobInfo
	gen     int64 // the base's generation, whose outputs skipped datums copy
	batch   []ownDatum
	stored  int64 // datums stored so far
	cleared bool  // whether an earlier plan of the job was removed
	queued  int64 // datums added that need running
}

// add adds a datum the job stores, after those added before it.
func (w *planWriter) add(ctx context.Context, d ownDatum) error {
	w.batch = append(w.batch, d)
	if d.rec.State == tusk.DatumQueued {
		w.queued++
	}
	if len(w.batch) < planBatch {
		return nil
	}
	return w.flush(ctx, nil)
}

// finish stores the rest of the plan: the last datums, the datums of the
// base the job removes, its place in the lineage l, and the job, with its
// state as its pipeline's last job state: a worker may claim a datum as
// soon as this commits, and whoever sees it running then sees the
// pipeline's last job running too.
func (w *planWriter) finish(ctx context.Context, removed []string, l meta.JobLineage) error {
	// The statistics are refreshed before the job runs, so that its
	// claims and reports are planned with them (meta.DB.AnalyzeDatums);
	// the last batch, at most planBatch datums, is left out.
	if err := w.s.db.AnalyzeDatums(ctx, w.stored); err != nil {
		// The job runs all the same, at the cost of worse query plans.
		w.s.log.Warn("refresh the statistics of the datums", "pipeline", w.j.Pipeline, "job", w.j.ID, "err", err)
	}
	return w.flush(ctx, func(tx *meta.Tx) error {
		if err := tx.AddRemovedDatums(ctx, project, w.j.Pipeline, w.j.ID, removed); err != nil {
			return err
		}
		if err := tx.PutJobLineage(ctx, project, w.j.Pipeline, l); err != nil {
			return err
		}
		if err := storeJob(ctx, tx, w.j); err != nil {
			return err
		}
		return storeLastJobState(ctx, tx, w.j.Pipeline, w.j.State)
	})
}

// flush stores the batch, and calls last, if set, in the same
// transaction.
func (w *planWriter) flush(ctx context.Context, last func(*meta.Tx) error) error {
	copies := map[string]*datumRecord{}
	for _, d := range w.batch {
		if d.rec.State == tusk.DatumSkipped {
			copies[d.rec.ID] = d.rec
		}
	}
	if err := w.s.copyOutputs(ctx, w.j.Pipeline, w.gen, copies); err != nil {
		return err
	}
	rows := make([]meta.PlannedDatum, len(w.batch))
	for i, d := range w.batch {
		d.rec.Index = w.stored + int64(i)
		b, err := json.Marshal(d.rec)
		if err != nil {
			return err
		}
		rows[i] = meta.PlannedDatum{ID: d.rec.ID, State: d.rec.State, Hash: d.rec.Hash, Key: d.key, Index: d.rec.Index, Data: b}
	}
	err := w.s.db.Update(ctx, func(tx *meta.Tx) error {
		if !w.cleared {
			if err := tx.ClearPlan(ctx, project, w.j.Pipeline, w.j.ID); err != nil {
				return err
			}
		}
		if err := tx.InsertDatums(ctx, project, w.j.Pipeline, w.j.ID, rows); err != nil {
			return err
		}
		if last != nil {
			return last(tx)
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.cleared = true
	w.stored += int64(len(rows))
	clear(w.batch)
	w.batch = w.batch[:0]
	return nil
}

// fingerprints is a set of datum fingerprints: add them, sort, then look
// them up with has.
type fingerprints []datum.Fingerprint

func (s *fingerprints) add(id string) { *s = append(*s, datum.FingerprintOf(id)) }

func (s fingerprints) sort() { slices.SortFunc(s, compareFingerprints) }

func (s fingerprints) has(id string) bool {
	_, ok := slices.BinarySearchFunc(s, datum.FingerprintOf(id), compareFingerprints)
	return ok
}

func compareFingerprints(a, b datum.Fingerprint) int { return bytes.Compare(a[:], b[:]) }
