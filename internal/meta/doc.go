// Package meta is Tusk's transactional metadata store: repos, branches,
// commits, provenance, and the object leases that protect data from the
// garbage collector. It runs on embedded SQLite (the default, pure Go, so
// the binary stays static) or on PostgreSQL, behind one API; metatest runs
// one conformance suite against both.
//
// Layout: every table of repos, pipelines and what they hold is keyed by
// project first; provenance names the project upstream too (up_project),
// which may be another.
//
//	config(key, value)                         format version, chunking parameters, cluster ID
//	repos(project, name, …)                    one row per repo
//	branches(project, repo, name, head, …)     head is a commit ID in the same repo
//	branch_provenance(project, repo, branch, up_project, up_repo, up_branch)
//	commits(project, repo, id, …)              id is shared by the commits of a commit set
//	commit_provenance(project, repo, id, up_project, up_repo, up_branch, up_id)
//	objects(key, lease_until, written, deleting)   one row per stored chunk, tree node or pack
//	packs(key, size)                           one row per recorded pack of chunks
//	pack_chunks(chunk, pack, off, len)         where each packed chunk lies (pack.go)
//	pipelines(project, name, data)             the current version of each pipeline (JSON)
//	pipeline_versions(project, name, version, data)  every version's spec
//	jobs(project, pipeline, id, state, created, data)  id is the commit set of the output commit
//	datums(project, pipeline, job, id, idx, state, lease_until, data)  also the work queue
//	logs(project, pipeline, job, datum, seq, data)
//	auth_tokens(hash, subject, created, expires)  SHA-256 of each token, never the token
//	role_bindings(kind, project, name, subject, role)  kind "cluster" or "repo"
//	oidc_attempts(key_hash, state_hash, secrets, expires, redeemed, outcome)  OIDC logins in
//	                                           progress: hashes and sealed bytes, never a secret
//	transactions(id, created, version, data)   pending transactions: their recorded requests (JSON)
//
// Times are stored as Unix nanoseconds so both dialects agree.
//
// Servers sharing one PostgreSQL database elect the one that runs the
// scheduler, and tell which of them are alive, with advisory locks held
// on a connection of each server's own (lead.go); notify.go carries
// events between them.
package meta
