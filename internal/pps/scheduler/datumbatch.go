package scheduler

import (
	"context"
	"encoding/json"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
)

// A datumBatch holds the datums that one transaction of the worker
// protocol (a claim, a heartbeat, a report of results) reads and changes:
// it reads them with one query per job and writes them back with one
// statement per hundred, so that a set of datums costs a few round trips
// to the metadata store, not two per datum, which on PostgreSQL bounded
// the datums a server could hand out per second.
type datumBatch struct {
	tx      *meta.Tx
	records map[datumKey]*datumRecord
	leases  map[datumKey]time.Time
	changed []datumKey // in the order of their first change
}

type datumKey struct{ pipeline, job, id string }

func newDatumBatch(tx *meta.Tx) *datumBatch {
	return &datumBatch{tx: tx, records: map[datumKey]*datumRecord{}, leases: map[datumKey]time.Time{}}
}

// load reads the datums of keys that exist (locking them in a
// transaction of UpdateQueue).
func (b *datumBatch) load(ctx context.Context, keys []datumKey) error {
	type jobKey struct{ pipeline, job string }
	ids := map[jobKey][]string{}
	var order []jobKey
	for _, k := range keys {
		j := jobKey{k.pipeline, k.job}
		if _, ok := ids[j]; !ok {
			order = append(order, j)
		}
		ids[j] = append(ids[j], k.id)
	}
	for _, j := range order {
		docs, err := b.tx.DatumsByID(ctx, project, j.pipeline, j.job, ids[j])
		if err != nil {
			return err
		}
		for id, doc := range docs {
			d, err := decodeDatum(doc)
			if err != nil {
				return err
			}
			b.records[datumKey{j.pipeline, j.job, id}] = d
		}
	}
	return nil
}

// get returns a loaded datum, as changed so far.
func (b *datumBatch) get(k datumKey) (*datumRecord, bool) {
	d, ok := b.records[k]
	return d, ok
}

// put notes that d changed, to be stored with lease (see storeDatum).
func (b *datumBatch) put(d *datumRecord, lease time.Time) {
	k := datumKey{d.Pipeline, d.Job, d.ID}
	if _, ok := b.leases[k]; !ok {
		b.changed = append(b.changed, k)
	}
	b.records[k], b.leases[k] = d, lease
}

// flush stores the datums that changed.
func (b *datumBatch) flush(ctx context.Context) error {
	if len(b.changed) == 0 {
		return nil
	}
	rows := make([]meta.DatumPut, 0, len(b.changed))
	for _, k := range b.changed {
		d := b.records[k]
		data, err := json.Marshal(d)
		if err != nil {
			return err
		}
		rows = append(rows, meta.DatumPut{Pipeline: d.Pipeline, Job: d.Job, ID: d.ID, Index: d.Index, State: d.State,
			LeaseUntil: b.leases[k], Data: data})
	}
	b.changed = b.changed[:0]
	clear(b.leases)
	return b.tx.PutDatums(ctx, project, rows)
}
