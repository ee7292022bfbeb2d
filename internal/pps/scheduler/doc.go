// Package scheduler runs the pipelines that package pps records. On the
// server that leads, a controller per pipeline turns each new output
// commit into a job, plans the job's datums (only those whose inputs
// changed since the last successful job run again; the rest keep their
// outputs), asks the runner for workers, and commits the job's output
// when no datum is left. Workers on any server pull datums through the
// worker protocol (NextTasks, Heartbeat, Done): the datums table is the
// work queue, with leases that let another worker take over the datums
// of one that died, and datums claimed through a server that died are
// given back at once. Signals wake waiters, here and, over PostgreSQL's
// LISTEN/NOTIFY, on the other servers.
package scheduler
