package meta

import "sync/atomic"

// Stats counts the transactions a DB has run, to see what the metadata
// store costs per operation (the benchmarks report transactions per
// datum) and to watch it on /metrics.
type Stats struct {
	// Reads and Writes count transactions begun, each attempt of a
	// retried one included.
	Reads, Writes int64
	// Retries counts attempts made again after a serialization failure
	// or a deadlock (PostgreSQL) or a busy database (SQLite).
	Retries int64
}

type stats struct {
	reads, writes, retries atomic.Int64
}

// Stats returns the transactions run so far.
func (d *DB) Stats() Stats {
	return Stats{Reads: d.stats.reads.Load(), Writes: d.stats.writes.Load(), Retries: d.stats.retries.Load()}
}

// count notes the attempt of a transaction of mode m; attempt counts
// from 0.
func (s *stats) count(m mode, attempt int) {
	if m == readOnly {
		s.reads.Add(1)
	} else {
		s.writes.Add(1)
	}
	if attempt > 0 {
		s.retries.Add(1)
	}
}
