// Package pps runs pipelines: it turns Pachyderm pipeline specs into
// output branches fed by their inputs, every new output commit into a job,
// every job into datums, and hands datums to workers (started by a Runner)
// that pull them over the API. Only datums whose inputs changed since the
// last successful job run again; the rest keep their outputs.
//
// State lives in the metadata store (pipelines, versions, jobs, datums,
// logs), so a restarted server resumes its jobs; the datums table is also
// the work queue, with leases that let another worker take over the datums
// of one that died.
package pps
