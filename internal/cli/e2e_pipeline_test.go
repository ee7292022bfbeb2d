package cli

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tuskdata/tusk/internal/pachapi"
	"github.com/tuskdata/tusk/internal/tusk"
)

const wcSpec = `{
  "pipeline": {"name": "wc"},
  "description": "count words",
  "transform": {"cmd": ["sh", "-c", "echo counting $words; wc -w < $words > /pfs/out/$(basename $words)"]},
  "input": {"pfs": {"repo": "words", "glob": "/*"}}
}`

// wcBytesSpec is wc's second version: it counts bytes instead.
const wcBytesSpec = `{
  "pipeline": {"name": "wc"},
  "description": "count bytes",
  "transform": {"cmd": ["sh", "-c", "echo sizing $words; wc -c < $words > /pfs/out/$(basename $words)"]},
  "input": {"pfs": {"repo": "words", "glob": "/*"}}
}`

// The pipelines of these tests run host tools (sh, wc, sleep), so their
// workers must be processes, not containers of the default image.
var processRunner = []string{"--runner", "process"}

func TestE2EPipeline(t *testing.T) {
	e := startServer(t, processRunner...)
	e.run("create", "repo", "words")
	e.runIn(strings.NewReader("one two three\n"), "put", "file", "words@master:/a.txt")
	e.runIn(strings.NewReader("four five\n"), "put", "file", "words@master:/b.txt")
	spec := e.writeFile("wc.json", []byte(wcSpec))

	wantContains(t, "validate pipeline", e.run("validate", "pipeline", "-f", spec), "ok: 1 pipeline\n")
	dry := e.run("create", "pipeline", "-f", spec, "--dry-run")
	wantContains(t, "create pipeline --dry-run", dry, "pipeline wc would be created: input words:/*, output wc@master")
	if ps := lines[pachapi.PipelineInfo](e, "list", "pipeline"); len(ps) != 0 {
		t.Fatalf("create pipeline --dry-run created %d pipeline(s)", len(ps))
	}
	// A dry run checks what creating would: here, that the input exists.
	noInput := e.writeFile("noinput.json", []byte(strings.ReplaceAll(wcSpec, `"words"`, `"nosuch"`)))
	if out, stderr, code := e.exec(nil, "create", "pipeline", "-f", noInput, "--dry-run"); code != exitError || !strings.Contains(stderr, "nosuch") {
		t.Errorf("create pipeline --dry-run reading a missing repo: exit %d, stdout %q, stderr %q; want exit 1 naming the repo", code, out, stderr)
	}

	if out := e.run("create", "pipeline", "-f", spec); out != "" {
		t.Errorf("create pipeline printed %q, want nothing", out)
	}
	first := e.headJob("wc")
	e.waitJobs(first)
	for path, want := range map[string]string{"/a.txt": "3\n", "/b.txt": "2\n"} {
		if got := e.run("get", "file", "wc@master:"+path); got != want {
			t.Errorf("get file wc@master:%s = %q, want %q", path, got, want)
		}
	}

	// The job, its datums and logs.
	jobs := lines[pachapi.JobInfo](e, "list", "job", "-p", "wc")
	if len(jobs) != 1 || jobs[0].Job.ID != first || jobs[0].State != "JOB_SUCCESS" || jobs[0].DataProcessed != 2 || jobs[0].DataTotal != 2 {
		t.Fatalf("list job -p wc -o json = %+v, want one successful job %s over 2 datums", jobs, first)
	}
	wantContains(t, "list job", e.run("list", "job", "-p", "wc"),
		"PROJECT", "PIPELINE", "ID", "STARTED", "DURATION", "RESTART", "PROGRESS", "DL", "UL", "STATE", first, "2 + 0 / 2", "success")
	wantContains(t, "list job <commit set>", e.run("list", "job", first), first, "wc")
	if j := object[pachapi.JobInfo](e, "inspect", "job", "wc@"+first); j.Job.ID != first || j.PipelineVersion != 1 || j.OutputCommit.Repo.Name != "wc" {
		t.Errorf("inspect job -o json = %+v", j)
	}
	wantContains(t, "inspect job", e.run("inspect", "job", "wc@"+first),
		"ID:", first, "Pipeline:", "wc (version 1)", "State:", "success", "2 total: 2 processed, 0 skipped")
	datums := lines[pachapi.DatumInfo](e, "list", "datum", "wc@"+first)
	var paths []string
	for _, d := range datums {
		if d.State != "SUCCESS" || len(d.Data) != 1 || d.Data[0].File.Commit.Repo.Name != "words" {
			t.Errorf("datum %+v, want a successful datum of words", d)
			continue
		}
		paths = append(paths, d.Data[0].File.Path)
	}
	if diff := cmp.Diff([]string{"/a.txt", "/b.txt"}, paths); diff != "" {
		t.Fatalf("list datum wc@%s -o json: input paths (-want +got):\n%s", first, diff)
	}
	aDatum := datums[0]
	wantContains(t, "list datum", e.run("list", "datum", "wc@"+first),
		"ID", "FILES", "STATUS", "TIME", aDatum.Datum.ID, "words@"+aDatum.Data[0].File.Commit.ID+":/a.txt", "success")
	if got := lines[pachapi.DatumInfo](e, "list", "datum", "wc@"+first, "--state", "failed"); len(got) != 0 {
		t.Errorf("list datum --state failed: %d datums, want none", len(got))
	}
	if d := object[pachapi.DatumInfo](e, "inspect", "datum", "wc@"+first, aDatum.Datum.ID); d.Datum.ID != aDatum.Datum.ID || d.State != "SUCCESS" {
		t.Errorf("inspect datum -o json = %+v", d)
	}
	wantContains(t, "inspect datum", e.run("inspect", "datum", "wc@"+first, aDatum.Datum.ID), "ID:", aDatum.Datum.ID, "success", "words@", ":/a.txt")

	logs := e.run("logs", "-p", "wc")
	wantContains(t, "logs -p wc", logs, "counting /pfs/words/a.txt\n", "counting /pfs/words/b.txt\n")
	userLines := 0
	for _, l := range lines[pachapi.LogMessage](e, "logs", "-j", "wc@"+first) {
		if l.PipelineName != "wc" || l.JobID != first || l.ProjectName != "default" {
			t.Errorf("logs -j wc@%s: line of %s@%s", first, l.PipelineName, l.JobID)
		}
		if l.User && strings.HasPrefix(l.Message, "counting ") {
			userLines++
		}
	}
	if userLines != 2 {
		t.Errorf("logs -j -o json: %d user lines saying counting, want 2", userLines)
	}
	if got := e.run("logs", "-j", "wc@"+first, "--datum", aDatum.Datum.ID); !strings.Contains(got, "counting /pfs/words/a.txt") || strings.Contains(got, "b.txt") {
		t.Errorf("logs --datum %s = %q, want only a.txt's lines", aDatum.Datum.ID, got)
	}
	if got := e.run("logs", "-p", "wc", "--tail", "1"); strings.Count(got, "\n") != 1 {
		t.Errorf("logs --tail 1 printed %q, want one line", got)
	}
	if got := e.run("logs", "-j", "wc@"+first, "--inputs", "/a.txt"); !strings.Contains(got, "counting /pfs/words/a.txt") || strings.Contains(got, "b.txt") {
		t.Errorf("logs --inputs /a.txt = %q, want only a.txt's lines", got)
	}
	wantContains(t, "logs --since 1h", e.run("logs", "-p", "wc", "--since", "1h"), "counting /pfs/words/a.txt")
	if got := e.run("logs", "-p", "wc", "--since", "1ns"); got != "" {
		t.Errorf("logs --since 1ns printed %q, want nothing", got)
	}
	for _, l := range lines[pachapi.LogMessage](e, "logs", "-p", "wc", "--worker") {
		if !l.User {
			t.Errorf("logs --worker printed Tusk's line %q", l.Message)
		}
	}
	for _, l := range lines[pachapi.LogMessage](e, "logs", "-p", "wc", "--master") {
		if l.User || !l.Master {
			t.Errorf("logs --master printed the code's line %q", l.Message)
		}
	}
	wantContains(t, "logs --inputs without a job", e.fail(2, "logs", "-p", "wc", "--inputs", "/a.txt"), "--inputs needs the job")

	testPipelineUpdates(t, e, first)
	testPipelineStopStart(t, e)
	testPipelineErrors(t, e)

	wantContains(t, "draw pipeline", e.run("draw", "pipeline"), "words ─▶ wc\n")
	e.run("delete", "pipeline", "wc")
	if ps := lines[pachapi.PipelineInfo](e, "list", "pipeline"); len(ps) != 0 {
		t.Errorf("after delete pipeline: %d pipelines", len(ps))
	}
	for _, r := range lines[pachapi.RepoInfo](e, "list", "repo") {
		if r.Repo.Name == "wc" {
			t.Errorf("delete pipeline wc left its output repo")
		}
	}
	wantContains(t, "inspect deleted pipeline", e.fail(1, "inspect", "pipeline", "wc"), "error: ", "wc")
}

// testPipelineUpdates updates wc without and then with reprocessing.
func testPipelineUpdates(t *testing.T, e *e2e, first string) {
	t.Helper()
	e.run("update", "pipeline", "-f", e.writeFile("wc2.json", []byte(wcBytesSpec)))
	second := e.headJob("wc")
	if second == first {
		t.Fatal("update pipeline made no new output commit")
	}
	e.within(time.Minute, "wait", "job", "wc@"+second)
	j := object[pachapi.JobInfo](e, "inspect", "job", "wc@"+second)
	if j.State != "JOB_SUCCESS" || j.PipelineVersion != 2 || j.DataSkipped != 2 || j.DataProcessed != 0 {
		t.Errorf("job after update pipeline: %+v, want version 2 skipping both datums", j)
	}
	wantContains(t, "list job after update", e.run("list", "job", "-p", "wc", "-n", "1"), second, "0 + 2 / 2")
	if got := e.run("get", "file", "wc@master:/a.txt"); got != "3\n" {
		t.Errorf("after update without --reprocess, a.txt = %q, want the old word count", got)
	}

	e.run("rerun", "pipeline", "wc", "--reprocess")
	third := e.headJob("wc")
	e.waitJobs(third)
	j = object[pachapi.JobInfo](e, "inspect", "job", "wc@"+third)
	if j.State != "JOB_SUCCESS" || j.DataProcessed != 2 || j.DataSkipped != 0 {
		t.Errorf("job after rerun --reprocess: %+v, want both datums processed", j)
	}
	if got := e.run("get", "file", "wc@master:/a.txt"); got != "14\n" {
		t.Errorf("after rerun --reprocess, a.txt = %q, want the byte count 14", got)
	}
	// As pachctl: the jobs of the current version, unless --history.
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"-p", "wc"}, []string{third}},
		{[]string{"-p", "wc", "--history", "1"}, []string{third, second}},
		{[]string{"-p", "wc", "--history", "all"}, []string{third, second, first}},
		{[]string{"-p", "wc", "--history", "all", "-i", "words@master"}, []string{third, second, first}},
		{[]string{"-x", "-i", "words@master", "-i", "wc@" + first}, nil},
	} {
		if got := jobIDs(lines[pachapi.JobInfo](e, append([]string{"list", "job"}, c.args...)...)); !slices.Equal(got, c.want) {
			t.Errorf("list job %s = %v, want newest first %v", strings.Join(c.args, " "), got, c.want)
		}
	}
	commits := lines[pachapi.CommitInfo](e, "list", "commit", "words")
	older := "words@" + commits[len(commits)-1].Commit.ID
	if got := jobIDs(lines[pachapi.JobInfo](e, "list", "job", "-p", "wc", "--history", "all", "-i", older)); len(got) != 0 {
		t.Errorf("list job -i %s (a commit no job read) = %v, want none", older, got)
	}
	wantContains(t, "list job -i of a missing repo", e.fail(1, "list", "job", "-i", "nosuch@master"), "--input nosuch@master")
	wantContains(t, "list job --history of no number", e.fail(2, "list", "job", "-p", "wc", "--history", "some"), `--history "some"`)

	p := object[pachapi.PipelineInfo](e, "inspect", "pipeline", "wc")
	if p.Version != 3 || p.Details.Description != "count bytes" || p.LastJobState != "JOB_SUCCESS" {
		t.Errorf("inspect pipeline after rerun: %+v", p)
	}
	wantContains(t, "inspect pipeline", e.run("inspect", "pipeline", "wc"),
		"Name:", "wc", "Version:", "3", "Input:", "words:/*", "Output Branch:", "wc@master", "Spec:", "wc -c < $words")
	wantContains(t, "list pipeline", e.run("list", "pipeline"),
		"PROJECT", "NAME", "VERSION", "INPUT", "CREATED", "STATE / LAST JOB", "ALERTS", "DESCRIPTION", "wc", "words:/*", "/ success", "count bytes")
	history := lines[pachapi.PipelineInfo](e, "list", "pipeline", "wc", "--history", "all")
	var versions []int64
	for _, h := range history {
		versions = append(versions, h.Version)
	}
	if diff := cmp.Diff([]int64{3, 2, 1}, versions); diff != "" {
		t.Errorf("list pipeline --history all versions (-want +got):\n%s", diff)
	}
	wantContains(t, "list pipeline --history 1", e.run("list", "pipeline", "wc", "--history", "1"), "count bytes")
	wantContains(t, "list pipeline --spec", e.run("list", "pipeline", "--spec"), `"transform"`, "wc -c")
}

// testPipelineStopStart stops wc, commits, and starts it again.
func testPipelineStopStart(t *testing.T, e *e2e) {
	t.Helper()
	before := len(lines[pachapi.JobInfo](e, "list", "job", "-p", "wc"))
	e.run("stop", "pipeline", "wc")
	if p := object[pachapi.PipelineInfo](e, "inspect", "pipeline", "wc"); !p.Stopped || p.State != "PIPELINE_PAUSED" {
		t.Errorf("after stop pipeline: stopped %v, state %s; want stopped, PAUSED", p.Stopped, p.State)
	}
	e.runIn(strings.NewReader("six seven eight nine\n"), "put", "file", "words@master:/c.txt")
	set := object[pachapi.CommitInfo](e, "inspect", "commit", "words@master").Commit.ID
	if cs := lines[pachapi.CommitInfo](e, "list", "commit", set); len(cs) != 1 {
		t.Errorf("a commit to the input of a stopped pipeline made %d commits, want only its own", len(cs))
	}
	if n := len(lines[pachapi.JobInfo](e, "list", "job", "-p", "wc")); n != before {
		t.Errorf("stopped pipeline has %d jobs, want %d", n, before)
	}

	follow, followed := e.follow("logs", "-p", "wc", "-f", "--tail", "1")
	e.run("start", "pipeline", "wc")
	caughtUp := e.headJob("wc")
	if js := lines[pachapi.JobInfo](e, "wait", "job", caughtUp); len(js) != 1 || js[0].Job.Pipeline.Name != "wc" || js[0].State != "JOB_SUCCESS" {
		t.Errorf("wait job %s (a commit set) = %+v, want wc's successful job", caughtUp, js)
	}
	e.eventually("logs -f prints the new job's line", func() bool { return strings.Contains(followed.String(), "sizing /pfs/words/c.txt") })
	follow.Process.Signal(os.Interrupt)
	if err := follow.Wait(); err != nil {
		t.Errorf("logs -f interrupted: %v, want exit status 0", err)
	}
	if got := strings.Split(strings.TrimSpace(followed.String()), "\n"); len(got) != 2 || !strings.HasPrefix(got[0], "sizing /pfs/words/") || got[1] != "sizing /pfs/words/c.txt" {
		t.Errorf("logs -f --tail 1 printed %q, want the last line of the previous job, then the new job's", got)
	}
	if got := e.run("get", "file", "wc@master:/c.txt"); got != "21\n" {
		t.Errorf("after start pipeline, c.txt = %q, want 21", got)
	}
	j := object[pachapi.JobInfo](e, "inspect", "job", "wc@"+caughtUp)
	if j.DataProcessed != 1 || j.DataSkipped != 2 {
		t.Errorf("catch-up job after start pipeline: %d processed, %d skipped; want 1, 2", j.DataProcessed, j.DataSkipped)
	}
	wantContains(t, "list job shows skipped", e.run("list", "job", "-p", "wc", "-n", "1"), "1 + 2 / 3")

	var dry []string
	for _, d := range lines[pachapi.DatumInfo](e, "list", "datum", "-f", e.writeFile("wc3.json", []byte(wcSpec))) {
		dry = append(dry, d.Data[0].File.Path)
	}
	if diff := cmp.Diff([]string{"/a.txt", "/b.txt", "/c.txt"}, dry); diff != "" {
		t.Errorf("list datum -f (-want +got):\n%s", diff)
	}
}

// testPipelineErrors checks bad specs and killing a job.
func testPipelineErrors(t *testing.T, e *e2e) {
	t.Helper()
	broken := e.writeFile("broken.json", []byte(strings.Replace(wcSpec, `"transform"`, `"transfrom"`, 1)))
	wantContains(t, "create broken pipeline", e.fail(1, "create", "pipeline", "-f", broken), "error: ", "transfrom")
	wantContains(t, "validate broken pipeline", e.fail(1, "validate", "pipeline", "-f", broken), "error: ", "transfrom")
	wantContains(t, "create existing pipeline", e.fail(1, "create", "pipeline", "-f", e.writeFile("wc.json", []byte(wcSpec))),
		"error: ", "already exists", "tusk update pipeline")
	wantContains(t, "missing job", e.fail(1, "inspect", "job", "wc@0123456789abcdef0123456789abcdef"), "error: ", "not found")

	slow := `{"pipeline": {"name": "slow"}, "transform": {"cmd": ["sleep", "60"]}, "input": {"pfs": {"repo": "words", "glob": "/"}}}`
	e.run("create", "pipeline", "-f", e.writeFile("slow.json", []byte(slow)))
	id := e.headJob("slow")
	e.jobState("slow", id, tusk.JobRunning)
	var datum string
	e.eventually("slow's datum running", func() bool {
		ds := lines[pachapi.DatumInfo](e, "list", "datum", "slow@"+id, "--state", "running")
		if len(ds) == 1 {
			datum = ds[0].Datum.ID
		}
		return datum != ""
	})
	if got := e.run("restart", "datum", "slow@"+id, "/"); got != "restarted 1 datum\n" {
		t.Errorf("restart datum slow@%s / printed %q", id, got)
	}
	e.eventually("restarted datum runs again", func() bool {
		// Attempts are Tusk's own: the table shows them.
		out := e.run("inspect", "datum", "slow@"+id, datum)
		return regexp.MustCompile(`Attempts:\s+2\n`).MatchString(out) && regexp.MustCompile(`State:\s+running\n`).MatchString(out)
	})
	e.run("stop", "job", "slow@"+id)
	if js := lines[pachapi.JobInfo](e, "wait", "job", "slow@"+id); len(js) != 1 || js[0].State != "JOB_KILLED" {
		t.Errorf("wait job after stop job = %+v, want one KILLED job", js)
	}
	_, stderr := e.failWithin(time.Minute, "wait", "commit", "slow@"+id)
	wantContains(t, "wait commit of a killed job", stderr, "slow@"+id+": job KILLED: stopped by user")
	e.run("delete", "job", "slow@"+id)
	e.fail(1, "inspect", "job", "slow@"+id)
	wantContains(t, "draw two pipelines", e.run("draw", "pipeline"), "words ─▶ slow\n", "words ─▶ wc\n")
	e.run("delete", "pipeline", "slow")
}

// ticksSpec holds two pipelines: tick lists its cron ticks, lines counts
// tick's lines.
const ticksSpec = `
pipeline: {name: tick}
transform:
  cmd: [sh, -c, "ls /pfs/tick > /pfs/out/ticks"]
input:
  cron: {name: tick, spec: "@every 1h"}
---
pipeline: {name: lines}
transform:
  cmd: [sh, -c, "wc -l < /pfs/tick/ticks > /pfs/out/lines"]
input:
  pfs: {repo: tick, glob: /}
`

func TestE2EPipelineCron(t *testing.T) {
	e := startServer(t, processRunner...)
	e.run("create", "pipeline", "-f", e.writeFile("ticks.yaml", []byte(ticksSpec)))
	e.waitJobs(e.headJob("tick"))
	e.run("run", "cron", "tick")
	ticked := object[pachapi.CommitInfo](e, "inspect", "commit", "tick_tick@master").Commit.ID
	e.waitJobs(ticked)
	files := lines[pachapi.FileInfo](e, "list", "file", "tick_tick@master")
	if len(files) != 1 {
		t.Fatalf("after run cron: %d tick files, want 1", len(files))
	}
	if got, want := e.run("get", "file", "tick@master:/ticks"), strings.TrimPrefix(files[0].File.Path, "/")+"\n"; got != want {
		t.Errorf("tick@master:/ticks = %q, want %q", got, want)
	}
	if got := e.run("get", "file", "lines@master:/lines"); got != "1\n" {
		t.Errorf("lines@master:/lines = %q, want 1", got)
	}
	if js := lines[pachapi.JobInfo](e, "list", "job", ticked); len(js) != 2 {
		t.Errorf("list job %s: %d jobs, want tick's and lines'", ticked, len(js))
	}
	wantContains(t, "list pipeline", e.run("list", "pipeline"), "tick:@every 1h", "tick:/")
	if got, want := e.run("draw", "pipeline"), "tick_tick ─▶ tick\n     tick ─▶ lines\n"; got != want {
		t.Errorf("draw pipeline = %q, want %q", got, want)
	}
	wantContains(t, "run cron of a missing pipeline", e.fail(1, "run", "cron", "nosuch"), "error: ", "nosuch")
	e.run("delete", "pipeline", "--all", "--keep-repo")
	if ps := lines[pachapi.PipelineInfo](e, "list", "pipeline"); len(ps) != 0 {
		t.Errorf("after delete pipeline --all: %d pipelines", len(ps))
	}
	if got := e.run("get", "file", "lines@master:/lines"); got != "1\n" {
		t.Errorf("after delete pipeline --keep-repo, lines@master:/lines = %q, want it kept", got)
	}
}
