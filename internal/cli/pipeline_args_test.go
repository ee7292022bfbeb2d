package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tuskdata/tusk/internal/pps/spec"
)

func TestInputString(t *testing.T) {
	pfs := func(repo, glob string) *spec.Input { return &spec.Input{PFS: &spec.PFSInput{Repo: repo, Glob: glob}} }
	for _, tc := range []struct {
		in   *spec.Input
		want string
	}{
		{nil, "none"},
		{pfs("images", "/*"), "images:/*"},
		{&spec.Input{Cron: &spec.CronInput{Name: "tick", Spec: "@every 1m"}}, "tick:@every 1m"},
		{&spec.Input{Cross: []*spec.Input{pfs("a", "/"), pfs("b", "/*")}}, "(a:/ ⨯ b:/*)"},
		{&spec.Input{Union: []*spec.Input{pfs("a", "/"), &spec.Input{Join: []*spec.Input{pfs("b", "/(*)"), pfs("c", "/(*)")}}}}, "(a:/ ∪ (b:/(*) ⋈ c:/(*)))"},
		{&spec.Input{Group: []*spec.Input{pfs("a", "/(*)"), pfs("b", "/(*)")}}, "group(a:/(*), b:/(*))"},
	} {
		if got := inputString(tc.in); got != tc.want {
			t.Errorf("inputString = %q, want %q", got, tc.want)
		}
	}
}

func TestParseHistory(t *testing.T) {
	for in, want := range map[string]int{"": -1, "0": 1, "2": 3, "all": 0, "-1": 0} {
		if got, err := parseHistory(in); err != nil || got != want {
			t.Errorf("parseHistory(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"x", "-2"} {
		if _, err := parseHistory(in); err == nil {
			t.Errorf("parseHistory(%q): no error", in)
		}
	}
}

func TestLogsTarget(t *testing.T) {
	for _, tc := range []struct {
		opts               logsOptions
		pipeline, job, err string
	}{
		{opts: logsOptions{pipeline: "wc"}, pipeline: "wc"},
		{opts: logsOptions{job: "wc@abc"}, pipeline: "wc", job: "abc"},
		{opts: logsOptions{pipeline: "wc", job: "wc@abc"}, pipeline: "wc", job: "abc"},
		{opts: logsOptions{pipeline: "x", job: "wc@abc"}, err: "-p x and -j wc@abc name different pipelines"},
		{opts: logsOptions{job: "abc"}, err: `"abc": want pipeline@job-id`},
		{opts: logsOptions{}, err: "give the pipeline with -p"},
	} {
		pipeline, job, err := logsTarget(tc.opts)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("logsTarget(%+v): error %v, want %q", tc.opts, err, tc.err)
			}
			continue
		}
		if err != nil || pipeline != tc.pipeline || job != tc.job {
			t.Errorf("logsTarget(%+v) = %q, %q, %v; want %q, %q", tc.opts, pipeline, job, err, tc.pipeline, tc.job)
		}
	}
}

// Usage errors are found before any server is asked.
func TestPipelineUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"create", "pipeline"}, "error: give the pipeline spec with -f <file> (or -f - for standard input)\nTry: tusk create pipeline --help\n"},
		{[]string{"list", "pipeline", "--history", "2"}, "error: --history needs a pipeline name\nTry: tusk list pipeline --help\n"},
		{[]string{"list", "pipeline", "p", "--history", "x"}, "error: --history \"x\": want a number of versions or \"all\"\nTry: tusk list pipeline --help\n"},
		{[]string{"delete", "pipeline"}, "error: give either a pipeline name or --all\nTry: tusk delete pipeline --help\n"},
		{[]string{"delete", "pipeline", "p", "--all"}, "error: give either a pipeline name or --all\nTry: tusk delete pipeline --help\n"},
		{[]string{"inspect", "job", "p"}, "error: \"p\": want pipeline@job-id\nTry: tusk inspect job --help\n"},
		{[]string{"list", "job", "-n", "-1"}, "error: -n -1: want a positive number of jobs\nTry: tusk list job --help\n"},
		{[]string{"list", "datum"}, "error: give either pipeline@job-id or -f <spec>\nTry: tusk list datum --help\n"},
		{[]string{"list", "datum", "p@j", "--state", "done"}, "error: --state \"done\": want one of queued, starting, running, success, skipped, failed, recovered\nTry: tusk list datum --help\n"},
		{[]string{"restart", "datum", "p@j", ","}, "error: give datum IDs or input paths to restart, comma-separated\nTry: tusk restart datum --help\n"},
		{[]string{"logs"}, "error: give the pipeline with -p <pipeline> or the job with -j <pipeline>@<job-id>\nTry: tusk logs --help\n"},
		{[]string{"logs", "-p", "p", "--tail", "-3"}, "error: --tail -3: want a positive number of lines\nTry: tusk logs --help\n"},
		{[]string{"run", "cron"}, "error: tusk run cron takes a pipeline name, got 0 argument(s)\nTry: tusk run cron --help\n"},
	} {
		var stdout, stderr bytes.Buffer
		code := Main(context.Background(), tc.args, strings.NewReader(""), &stdout, &stderr)
		if code != exitUsage || stderr.String() != tc.want {
			t.Errorf("tusk %s: exit %d, stderr %q; want exit 2, %q", strings.Join(tc.args, " "), code, stderr.String(), tc.want)
		}
	}
}

func TestValidatePipeline(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte(`pipeline: {name: a}
transform: {cmd: [cat]}
input: {pfs: {repo: words, glob: "/*"}}
---
pipeline: {name: b}
transform: {cmd: [cat]}
input: {pfs: {repo: a, glob: "/"}}
`), 0o644)
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"validate", "pipeline", "-f", good}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("validate good spec: exit %d, stderr %s", code, stderr.String())
	}
	if diff := cmp.Diff("ok: 2 pipelines\n", stdout.String()); diff != "" {
		t.Errorf("validate good spec (-want +got):\n%s", diff)
	}

	stdout.Reset()
	bad := `{"pipeline": {"name": "a"}, "transfrom": {"cmd": ["cat"]}, "input": {"pfs": {"repo": "words", "glob": "/*"}}}`
	code := Main(context.Background(), []string{"validate", "pipeline", "-f", "-"}, strings.NewReader(bad), &stdout, &stderr)
	if code != exitError || !strings.Contains(stderr.String(), "transfrom") || stdout.Len() != 0 {
		t.Errorf("validate spec with transfrom: exit %d, stdout %q, stderr %q; want exit 1 and an error naming transfrom", code, stdout.String(), stderr.String())
	}
}
