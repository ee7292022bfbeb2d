// Package pps is the pipeline system's records and rules: it turns
// Pachyderm pipeline specs into pipeline records, with output branches
// fed by their inputs, checks specs against the server's limits, pins a
// job's inputs to its commits, and shows pipelines, jobs, datums and
// logs as users see them. It serves workers the inputs of their datums
// (InputsArchive).
//
// Running the jobs is the Scheduler's (package pps/scheduler), which the
// API tells what changed. State lives in the metadata store (pipelines,
// versions, jobs, datums, logs), so a restarted server resumes its jobs.
package pps
