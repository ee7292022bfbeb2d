// Package pachapi holds Pachyderm's API types as pachctl 2.x prints them
// with --raw or -o json: the protojson form of RepoInfo, BranchInfo,
// CommitInfo, FileInfo, PipelineInfo, JobInfo, DatumInfo and their parts,
// with the .proto field names (pachctl marshals with UseProtoNames), enum
// values by name (JOB_SUCCESS, USER), 64-bit integers as strings,
// timestamps in RFC 3339 (UTC) and durations as seconds ("1.500s"), and
// fields at their zero value left out. It converts Tusk's records into
// them, so that scripts written against pachctl's output read Tusk's.
//
// The fields are in the order the .proto files declare them, which is the
// order protojson writes them in. docs/pachctl-compat.md lists what each
// Tusk record becomes, and what Tusk does not record.
package pachapi
