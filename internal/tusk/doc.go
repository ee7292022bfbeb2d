// Package tusk is the vocabulary shared by every part of Tusk: the repos,
// branches, commits, files, pipelines, jobs and datums that travel over the
// API, the rules of their names, paths and references (names.go), and the
// error kinds that survive the wire. It imports nothing from
// the rest of the module.
package tusk
