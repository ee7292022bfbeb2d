package spec

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
)

// A rawField is a field Tusk does not support yet, kept as raw JSON.
type rawField struct {
	path string
	raw  *json.RawMessage
}

// checkUnsupported rejects the first field of p that Tusk does not
// support yet and that is set to anything but its zero value. It clears
// those set to their zero value, such as "s3_out": false.
func checkUnsupported(p *Pipeline) error {
	fields := []rawField{
		{"tf_job", &p.TFJob},
		{"sidecar_resource_requests", &p.SidecarResourceRequests},
		{"sidecar_resource_limits", &p.SidecarResourceLimits},
		{"spec_commit", &p.SpecCommit},
		{"determined", &p.Determined},
		{"maximum_expected_uptime", &p.MaximumExpectedUptime},
	}
	if e := p.Egress; e != nil {
		fields = append(fields, rawField{"egress.sql_database", &e.SQLDatabase})
	}
	return checkRaw(fields)
}

// checkRaw rejects the first of fields that is set and clears the others.
func checkRaw(fields []rawField) error {
	for _, f := range fields {
		if isSet(*f.raw) {
			return unsupported(f.path)
		}
		*f.raw = nil
	}
	return nil
}

// checkUnsupportedPFS rejects the fields of a PFS input, at path, that Tusk
// does not support yet.
func checkUnsupportedPFS(in *PFSInput, path string) error {
	if in.RepoType != UserRepoType {
		return errorAt(path+".repo_type", "is %q, which Tusk does not support yet; use %q or leave it out", in.RepoType, UserRepoType)
	}
	if isSet(in.Trigger) {
		return errorAt(path+".trigger", "is not supported yet by Tusk; put the trigger on the input branch instead (tusk create branch %s@master --trigger staging --trigger-commits 10), commit to staging, and remove it from the spec", cmp.Or(in.Repo, "REPO"))
	}
	return checkRaw([]rawField{
		{path + ".propagation_spec", &in.PropagationSpec},
	})
}

func unsupported(path string) error {
	return fmt.Errorf("field %q is not supported yet by Tusk; remove it from the spec", path)
}

// isSet reports whether raw holds anything but null, false, 0, "" or [].
// An empty object counts as set: "spout": {} asks for a spout.
func isSet(raw json.RawMessage) bool {
	switch string(bytes.TrimSpace(raw)) {
	case "", "null", "false", "0", `""`, "[]":
		return false
	}
	return true
}
