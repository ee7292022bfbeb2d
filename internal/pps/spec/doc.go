// Package spec reads Pachyderm 2.x pipeline specs: it parses them from JSON
// or YAML, fills in Pachyderm's defaults and validates them.
//
// A spec file holds one or more pipelines: a JSON object, a stream or an
// array of objects, or YAML documents separated by "---". Field names may
// be written in snake_case or lowerCamelCase, as protobuf's JSON mapping
// allows ("output_branch" or "outputBranch"), and 64-bit integers may be
// quoted, as protobuf writes them. Decoding is strict: an unknown field is
// an error that names it and suggests the closest known one, and a field
// that Pachyderm has but Tusk does not support yet (s3 inputs and
// outputs, triggers, sidecar resources) is an error when it is set, never
// silently ignored. The fields of worker pods (scheduling_spec,
// tolerations, GPUs, image pull secrets, secrets' mount_path, pod_spec,
// pod_patch) are checked here; whether the server's runner honours them
// is the server's to say.
//
// Validate fills in the defaults Pachyderm fills in at create time:
//
//	transform.image          ubuntu:20.04 (Pachyderm 2.x's default image)
//	input.pfs.name           the repo name
//	input.pfs.branch         master
//	input.pfs.repo_type      user
//	input.pfs.glob           made absolute and cleaned, "*" becomes "/*"
//	input.cron.repo          <pipeline>_<cron name>
//	parallelism_spec         {"constant": 1}, also when constant is 0
//	datum_tries              3
//	output_branch            master
//	reprocess_spec           until_success
//	resource_*.gpu.type      nvidia.com/gpu
//
// The salt and cron start times depend on the moment a pipeline is
// created, so they are left to the caller, as is SortInput, which orders
// the inputs of every cross, union, join and group by name.
package spec
