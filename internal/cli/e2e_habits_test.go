package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/pachapi"
	"github.com/tuskdata/tusk/internal/tusk"
)

// withEditor returns e with $EDITOR set to a shell command.
func (e *e2e) withEditor(editor string) *e2e {
	c := *e
	c.env = append(append([]string(nil), e.env...), "EDITOR="+editor)
	return &c
}

// TestE2EEditPipeline: edit pipeline opens the spec in $EDITOR (JSON or
// YAML) and updates the pipeline with what was saved; an untouched spec
// changes nothing, and a spec the server refuses is kept for another try.
func TestE2EEditPipeline(t *testing.T) {
	e := startServer(t, processRunner...)
	e.run("create", "repo", "words")
	e.run("create", "pipeline", "-f", e.writeFile("wc.json", []byte(wcSpec)))

	_, stderr, code := e.withEditor("true").exec(nil, "edit", "pipeline", "wc")
	if code != 0 || !strings.Contains(stderr, "pipeline wc unchanged") {
		t.Fatalf("edit pipeline with an editor that changes nothing: exit %d, %s", code, stderr)
	}
	if v := object[pachapi.PipelineInfo](e, "inspect", "pipeline", "wc").Version; v != 1 {
		t.Errorf("an unchanged edit made version %d", v)
	}

	e.withEditor(`sed -i 's/count words/count every word/'`).run("edit", "pipeline", "wc")
	pi := object[pachapi.PipelineInfo](e, "inspect", "pipeline", "wc")
	if pi.Version != 2 || pi.Details.Description != "count every word" {
		t.Errorf("after editing the JSON: version %d, description %q", pi.Version, pi.Details.Description)
	}

	// YAML: the editor gets block-style YAML, field order kept.
	yamlEditor := `f() { grep -q '^pipeline:' "$1" && grep -q '^  name: wc' "$1" && sed -i 's/count every word/count in YAML/' "$1"; }; f`
	e.withEditor(yamlEditor).run("edit", "pipeline", "wc", "-o", "yaml", "--reprocess")
	if pi := object[pachapi.PipelineInfo](e, "inspect", "pipeline", "wc"); pi.Version != 3 || pi.Details.Description != "count in YAML" {
		t.Errorf("after editing the YAML: version %d, description %q", pi.Version, pi.Details.Description)
	}

	_, stderr, code = e.withEditor(`sed -i 's/"glob": "[^"]*"/"glob": "[["/'`).exec(nil, "edit", "pipeline", "wc")
	if code != exitError || !strings.Contains(stderr, "your edit is kept in") || !strings.Contains(stderr, "tusk update pipeline -f") {
		t.Errorf("an edit the server refuses: exit %d, %s", code, stderr)
	}
	wantContains(t, "edit -o xml", e.fail(2, "edit", "pipeline", "wc", "-o", "xml"), "want json or yaml")
	wantContains(t, "edit of a missing pipeline", e.withEditor("true").fail(1, "edit", "pipeline", "nope"), "nope")
}

// TestE2EPachctlHabits: inspect cluster, config get/set context through
// JSON, and list --state, as pachctl users script them.
func TestE2EPachctlHabits(t *testing.T) {
	e := startServer(t, processRunner...)

	var ci struct {
		ID           string `json:"id"`
		DeploymentID string `json:"deployment_id"`
		Version      string `json:"version"`
	}
	if err := json.Unmarshal([]byte(e.run("inspect", "cluster", "-o", "json")), &ci); err != nil {
		t.Fatal(err)
	}
	if len(ci.ID) < 16 || ci.DeploymentID != ci.ID || ci.Version == "" {
		t.Errorf("inspect cluster -o json: %+v", ci)
	}
	wantContains(t, "inspect cluster", e.run("inspect", "cluster"), "ID:", ci.ID, "Leader:", "true")

	e.run("config", "set", "context", "lab", "--address", "127.0.0.1:1")
	got := e.run("config", "get", "context", "lab")
	wantContains(t, "config get context", got, `"address": "127.0.0.1:1"`)
	e.runIn(strings.NewReader(got), "config", "set", "context", "lab2")
	wantContains(t, "a context set from JSON", e.run("config", "list", "context"), "lab2", "127.0.0.1:1")
	if _, stderr, code := e.exec(strings.NewReader(got), "config", "set", "context", "lab2"); code != exitError || !strings.Contains(stderr, "exists") || !strings.Contains(stderr, "--overwrite") {
		t.Errorf("set context over an existing one: exit %d, %s", code, stderr)
	}
	e.runIn(strings.NewReader(`{"pachd_address": "127.0.0.1:2"}`), "config", "set", "context", "lab2", "--overwrite")
	wantContains(t, "pachctl's pachd_address", e.run("config", "get", "context", "lab2"), `"address": "127.0.0.1:2"`)

	e.run("create", "repo", "words")
	e.runIn(strings.NewReader("a b\n"), "put", "file", "words@master:/a")
	e.run("create", "pipeline", "-f", e.writeFile("wc.json", []byte(wcSpec)))
	e.waitJobs(e.headJob("wc"))
	e.eventually("wc runs", func() bool {
		return len(lines[pachapi.PipelineInfo](e, "list", "pipeline", "--state", "running")) == 1
	})
	for state, want := range map[string]int{"PIPELINE_RUNNING": 1, "paused,crashing": 0} {
		if got := lines[pachapi.PipelineInfo](e, "list", "pipeline", "--state", state); len(got) != want {
			t.Errorf("list pipeline --state %s: %d pipelines, want %d", state, len(got), want)
		}
	}
	for state, want := range map[string]int{"JOB_SUCCESS": 1, "failure": 0} {
		if got := lines[pachapi.JobInfo](e, "list", "job", "-x", "--state", state); len(got) != want {
			t.Errorf("list job --state %s: %d jobs, want %d", state, len(got), want)
		}
	}
	// Without -p or an ID, list job prints job sets, as pachctl does.
	sets := lines[pachapi.JobSetInfo](e, "list", "job")
	if len(sets) == 0 || len(sets[0].Jobs) != 1 || sets[0].Jobs[0].Job.Pipeline.Name != "wc" || sets[0].JobSet.ID != sets[0].Jobs[0].Job.ID {
		t.Errorf("list job -o json: %+v, want job sets of wc's jobs", sets)
	}
	wantContains(t, "list job", e.run("list", "job"), "SUBJOBS", "PROGRESS", sets[0].JobSet.ID, "1 + 0 / 1")
	wantContains(t, "a state that does not exist", e.fail(2, "list", "job", "--state", "done"), `--state "done"`, "SUCCESS")
}

// TestE2EExplainDatum: explain datum says why a datum ran (new, its file
// changed, the spec changed) or was skipped, from Tusk's records.
func TestE2EExplainDatum(t *testing.T) {
	e := startServer(t, processRunner...)
	e.run("create", "repo", "words")
	e.run("start", "commit", "words@master")
	e.runIn(strings.NewReader("one two\n"), "put", "file", "words@master:/a.txt")
	e.runIn(strings.NewReader("three\n"), "put", "file", "words@master:/b.txt")
	e.run("finish", "commit", "words@master")
	e.run("create", "pipeline", "-f", e.writeFile("wc.json", []byte(wcSpec)))
	first := e.headJob("wc")
	e.waitJobs(first)
	e.runIn(strings.NewReader("one two four\n"), "put", "file", "words@master:/a.txt")
	second := e.headJob("wc")
	e.waitJobs(second)

	datumOf := func(job, path string) string {
		for _, d := range lines[pachapi.DatumInfo](e, "list", "datum", "wc@"+job) {
			if len(d.Data) == 1 && d.Data[0].File.Path == path {
				return d.Datum.ID
			}
		}
		t.Fatalf("no datum of %s in job %s", path, job)
		return ""
	}
	explain := func(job, path string) explanation {
		return object[explanation](e, "explain", "datum", "wc@"+job, datumOf(job, path))
	}

	if x := explain(first, "/a.txt"); !x.Ran || x.Before != "" || !strings.Contains(strings.Join(x.Reasons, "\n"), "no earlier job") {
		t.Errorf("a.txt in the first job: %+v", x)
	}
	x := explain(second, "/a.txt")
	if !x.Ran || x.Before != first || len(x.Changed) != 1 || x.Changed[0].Path != "/a.txt" || x.Changed[0].OldHash == x.Changed[0].NewHash || x.Changed[0].OldHash == "" {
		t.Errorf("a.txt, changed, in the second job: %+v", x)
	}
	if x := explain(second, "/b.txt"); x.Ran || x.State != tusk.DatumSkipped || !strings.Contains(strings.Join(x.Reasons, "\n"), "skipped") {
		t.Errorf("b.txt, unchanged, in the second job: %+v", x)
	}
	wantContains(t, "explain datum", e.run("explain", "datum", "wc@"+second, datumOf(second, "/a.txt")), "State:", "Job before:", "changed since job "+first)

	wantContains(t, "explain of a datum not in the job", e.fail(1, "explain", "datum", "wc@"+second, "0123456789abcdef"), "not found")
	wantContains(t, "explain without a job", e.fail(2, "explain", "datum", "wc", "x"), "want pipeline@job-id")

	e.run("update", "pipeline", "-f", e.writeFile("wc.json", []byte(wcSpec)), "--reprocess")
	third := e.headJob("wc")
	e.waitJobs(third)
	if x := explain(third, "/b.txt"); !x.Ran || len(x.Changed) != 0 || !strings.Contains(strings.Join(x.Reasons, "\n"), "spec changed") {
		t.Errorf("b.txt after update --reprocess: %+v", x)
	}
}

// TestE2ELineageFile: lineage file follows an output file through the
// datums and jobs that wrote it, upstream to the user's commit.
func TestE2ELineageFile(t *testing.T) {
	e := startServer(t, processRunner...)
	e.run("create", "repo", "words")
	e.runIn(strings.NewReader("one two\n"), "put", "file", "words@master:/a.txt")
	userCommit := object[pachapi.CommitInfo](e, "inspect", "commit", "words@master").Commit.ID
	e.run("create", "pipeline", "-f", e.writeFile("wc.json", []byte(wcSpec)))
	e.run("create", "pipeline", "-f", e.writeFile("copy.json", []byte(`{"pipeline": {"name": "copy"},
	 "transform": {"cmd": ["sh", "-c", "cp $wc /pfs/out/"]}, "input": {"pfs": {"repo": "wc", "glob": "/*"}}}`)))
	e.waitJobs(e.headJob("copy"))

	n := object[lineageNode](e, "lineage", "file", "copy@master:/a.txt")
	if n.Pipeline != "copy" || n.Datum == "" || len(n.Inputs) != 1 {
		t.Fatalf("lineage of copy@master:/a.txt: %+v", n)
	}
	wc := n.Inputs[0]
	if wc.Repo != "wc" || wc.Path != "/a.txt" || wc.Pipeline != "wc" || wc.Hash == "" || len(wc.Inputs) != 1 {
		t.Fatalf("its input: %+v", wc)
	}
	if src := wc.Inputs[0]; src.Repo != "words" || src.Commit != userCommit || src.Origin != tusk.OriginUser || src.Job != "" || src.Hash == "" {
		t.Errorf("the user's file at the top: %+v", src)
	}
	if n := object[lineageNode](e, "lineage", "file", "copy@master:/a.txt", "--depth", "1"); len(n.Inputs) != 1 || n.Inputs[0].Pipeline != "" || n.Note != "--depth reached" {
		t.Errorf("lineage --depth 1: %+v", n)
	}
	wantContains(t, "lineage file", e.run("lineage", "file", "copy@master:/a.txt"), "written by datum", "job copy@", "job wc@", "words@"+userCommit+":/a.txt", "(user commit)")
	// A datum of glob "/" read a directory, which one datum wrote here
	// (followed), and two once words has two files (named, not followed).
	e.run("create", "pipeline", "-f", e.writeFile("sum.json", []byte(`{"pipeline": {"name": "sum"},
	 "transform": {"cmd": ["sh", "-c", "cat $wc/* > /pfs/out/total"]}, "input": {"pfs": {"repo": "wc", "glob": "/"}}}`)))
	e.waitJobs(e.headJob("sum"))
	if n := object[lineageNode](e, "lineage", "file", "sum@master:/total"); len(n.Inputs) != 1 || n.Inputs[0].Path != "/" ||
		n.Inputs[0].Datum == "" || len(n.Inputs[0].Inputs) != 1 || n.Inputs[0].Inputs[0].Path != "/a.txt" {
		t.Errorf("lineage of sum@master:/total, over the directory wc:/ that one datum wrote: %+v", n)
	}
	e.runIn(strings.NewReader("three\n"), "put", "file", "words@master:/b.txt")
	e.waitJobs(e.headJob("sum"))
	if n := object[lineageNode](e, "lineage", "file", "sum@master:/total"); len(n.Inputs) != 1 || n.Inputs[0].Datum != "" ||
		!strings.Contains(n.Inputs[0].Note, "2 datums of job") {
		t.Errorf("lineage of sum@master:/total, over the directory wc:/ that two datums wrote: %+v", n)
	}
	wantContains(t, "lineage of no path", e.fail(2, "lineage", "file", "copy@master"), "lineage file needs a file path")
	wantContains(t, "lineage of a missing file", e.fail(1, "lineage", "file", "copy@master:/none.txt"), "not found")
	wantContains(t, "lineage --depth -1", e.fail(2, "lineage", "file", "copy@master:/a.txt", "--depth", "-1"), "--depth -1")
}

// TestE2EJsonnetTemplate: create pipeline --jsonnet with --arg, as
// Pachyderm's pipeline templates are used.
func TestE2EJsonnetTemplate(t *testing.T) {
	e := startServer(t, processRunner...)
	e.run("create", "repo", "images")
	tmpl := e.writeFile("edges.jsonnet", []byte(`function(suffix, src)
{
  pipeline: { name: "edges-" + suffix },
  description: "edge detection on " + src,
  input: { pfs: { name: "images", glob: "/*", repo: src } },
  transform: { cmd: ["sh", "-c", "cp /pfs/images/* /pfs/out/"] }
}
`))
	e.run("create", "pipeline", "--jsonnet", tmpl, "--arg", "suffix=1", "--arg", "src=images")
	pi := object[pachapi.PipelineInfo](e, "inspect", "pipeline", "edges-1")
	if pi.Details.Description != "edge detection on images" {
		t.Errorf("the pipeline the template made: %+v", pi)
	}
	wantContains(t, "a template without its argument", e.fail(1, "create", "pipeline", "--jsonnet", tmpl, "--arg", "suffix=2"), "evaluate the pipeline template", "src")
	wantContains(t, "--arg without --jsonnet", e.fail(2, "create", "pipeline", "-f", tmpl, "--arg", "a=b"), "--arg goes with --jsonnet")
}

// TestE2EDefaults: cluster pipeline defaults, set, merged into the specs
// created afterwards (shown by inspect pipeline), and removed.
func TestE2EDefaults(t *testing.T) {
	e := startServer(t, processRunner...)
	e.run("create", "repo", "words")
	if got := e.run("inspect", "defaults", "--cluster"); !strings.Contains(got, `"create_pipeline_request": {}`) {
		t.Errorf("defaults of a new cluster: %s", got)
	}
	e.run("create", "defaults", "--cluster", "-f", e.writeFile("defaults.yaml", []byte("create_pipeline_request:\n  datum_tries: 5\n  description: from the defaults\n")))
	wantContains(t, "inspect defaults", e.run("inspect", "defaults", "--cluster"), `"datum_tries": 5`)
	e.run("create", "pipeline", "-f", e.writeFile("wc.json", []byte(wcSpec)))
	pi := object[pachapi.PipelineInfo](e, "inspect", "pipeline", "wc")
	var s struct {
		DatumTries  int    `json:"datum_tries"`
		Description string `json:"description"`
	}
	if err := json.Unmarshal([]byte(pi.EffectiveSpecJSON), &s); err != nil {
		t.Fatal(err)
	}
	if s.DatumTries != 5 || s.Description != "count words" {
		t.Errorf("the effective spec: datum_tries %d (want 5, from the defaults), description %q (want the spec's own)", s.DatumTries, s.Description)
	}
	wantContains(t, "a field no spec has", e.fail(1, "update", "defaults", "--cluster", "-f", e.writeFile("bad.json", []byte(`{"datum_trys": 3}`))), "datum_trys")
	e.run("delete", "defaults", "--cluster")
	if got := e.run("inspect", "defaults", "-o", "json"); !strings.Contains(got, `"create_pipeline_request": {}`) {
		t.Errorf("after delete defaults: %s", got)
	}
}
