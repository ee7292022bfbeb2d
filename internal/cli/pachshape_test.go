package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// protoMessages reads the message definitions of testdata/pachyderm-proto.txt
// (an excerpt of Pachyderm's .proto files): for each message, nested ones
// as "Outer.Inner", its fields' names and types.
func protoMessages(t *testing.T) map[string]map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "pachyderm-proto.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	field := regexp.MustCompile(`^\s*(?:repeated\s+)?(map<[^>]+>|[\w.]+)\s+(\w+)\s*=\s*\d+;`)
	open := regexp.MustCompile(`^\s*(message|enum|oneof)\s+(\w+)\s*\{`)
	msgs := map[string]map[string]string{}
	var scopes []string // the message each open brace belongs to, "" for others
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch m := open.FindStringSubmatch(line); {
		case m != nil && m[1] == "message":
			name := m[2]
			if outer := current(scopes); outer != "" {
				name = outer + "." + name
			}
			msgs[name] = map[string]string{}
			scopes = append(scopes, name)
		case m != nil && m[1] == "oneof":
			scopes = append(scopes, current(scopes)) // its fields are the message's
		case m != nil:
			scopes = append(scopes, "")
		case strings.TrimSpace(line) == "}":
			scopes = scopes[:len(scopes)-1]
		default:
			if m := field.FindStringSubmatch(line); m != nil && current(scopes) != "" {
				msgs[current(scopes)][m[2]] = m[1]
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return msgs
}

func current(scopes []string) string {
	if len(scopes) == 0 {
		return ""
	}
	return scopes[len(scopes)-1]
}

// TestGoldenFieldNames checks every field name of the golden files of
// -o json (what --raw prints) against Pachyderm's messages: each object of
// a golden file must be the message its field's type names, so a field
// misspelt, or put in the wrong message, fails.
func TestGoldenFieldNames(t *testing.T) {
	msgs := protoMessages(t)
	if len(msgs["CommitInfo"]) == 0 || msgs["RepoInfo.Details"]["size_bytes"] != "int64" {
		t.Fatalf("reading the excerpt went wrong: %d messages, CommitInfo %v", len(msgs), msgs["CommitInfo"])
	}
	for golden, msg := range map[string]string{
		"list_repo": "RepoInfo", "inspect_repo": "RepoInfo",
		"list_branch": "BranchInfo", "inspect_branch": "BranchInfo",
		"list_commit": "CommitInfo", "inspect_commit": "CommitInfo", "inspect_commit_open": "CommitInfo",
		"list_commit_set": "CommitSetInfo", "inspect_commit_set": "CommitSetInfo",
		"list_file": "FileInfo", "inspect_file": "FileInfo", "inspect_file_dir": "FileInfo",
		"pps_list_pipeline": "PipelineInfo", "pps_list_pipeline_history": "PipelineInfo", "pps_inspect_pipeline": "PipelineInfo",
		"pps_list_job": "JobInfo", "pps_inspect_job": "JobInfo", "pps_inspect_job_failed": "JobInfo",
		"pps_list_job_set": "JobSetInfo",
		"pps_list_datum":   "DatumInfo", "pps_inspect_datum": "DatumInfo", "pps_inspect_datum_failed": "DatumInfo",
		"version":  "Version",
		"pps_logs": "LogMessage",
	} {
		b, err := os.ReadFile(filepath.Join("testdata", golden+".json.golden"))
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		for n := 0; dec.More(); n++ {
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("%s: %v", golden, err)
			}
			if msg == "LogMessage" { // pachctl prints it with protojson's JSON names
				v = snakeKeys(v)
			}
			for _, problem := range checkFields(msgs, msg, v, msg) {
				t.Errorf("%s.json.golden, object %d: %s", golden, n+1, problem)
			}
		}
	}
}

// snakeKeys turns the lowerCamelCase keys of v's objects into the .proto
// names they stand for ("pipelineName" is pipeline_name).
func snakeKeys(v any) any {
	switch v := v.(type) {
	case []any:
		for i, e := range v {
			v[i] = snakeKeys(e)
		}
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			var b strings.Builder
			for _, r := range k {
				if unicode.IsUpper(r) {
					b.WriteByte('_')
				}
				b.WriteRune(unicode.ToLower(r))
			}
			out[b.String()] = snakeKeys(e)
		}
		return out
	}
	return v
}

// checkFields returns what in v does not fit message msg: fields it does
// not have, and objects where a scalar belongs.
func checkFields(msgs map[string]map[string]string, msg string, v any, at string) []string {
	var problems []string
	switch v := v.(type) {
	case []any:
		for i, e := range v {
			problems = append(problems, checkFields(msgs, msg, e, fmt.Sprintf("%s[%d]", at, i))...)
		}
	case map[string]any:
		fields, ok := msgs[msg]
		if !ok {
			return []string{fmt.Sprintf("%s is an object, but %s is not a message of the excerpt", at, msg)}
		}
		for name, val := range v {
			typ, ok := fields[name]
			switch {
			case !ok:
				problems = append(problems, fmt.Sprintf("%s has a field %q, which %s does not", at, name, msg))
			case strings.HasPrefix(typ, "map<"), strings.HasPrefix(typ, "google.protobuf."):
			default:
				problems = append(problems, checkFields(msgs, messageType(msgs, msg, typ), val, at+"."+name)...)
			}
		}
	}
	return problems
}

// messageType resolves a field's type as protoc would: a message nested in
// msg first, then one of the excerpt, without its package ("pfs_v2.").
func messageType(msgs map[string]map[string]string, msg, typ string) string {
	if _, ok := msgs[msg+"."+typ]; ok {
		return msg + "." + typ
	}
	return typ[strings.LastIndex(typ, ".")+1:]
}
