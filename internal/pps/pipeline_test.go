package pps_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tuskdata/tusk/internal/tusk"
)

const wordCount = `{
  "pipeline": {"name": "count"},
  "input": {"pfs": {"repo": "words", "glob": "/*"}},
  "transform": {"cmd": ["sh", "-c", "echo counting $words; wc -w < $words | tr -d ' ' > /pfs/out/$(basename $words)"]}
}`

func TestIncrementalProcessing(t *testing.T) {
	e := newEnv(t)
	e.repo("words")
	e.put("words", "/a.txt", "one two", "/b.txt", "three")
	e.pipeline(wordCount)
	j := e.lastJob("count")
	if j.State != tusk.JobSuccess || j.DataProcessed != 2 {
		t.Fatalf("first job = %+v", j)
	}
	if got, want := e.files("count@master"), map[string]string{"/a.txt": "2\n", "/b.txt": "1\n"}; !cmp.Equal(got, want) {
		t.Fatalf("outputs = %v, want %v", got, want)
	}
	// Change a, add c, delete b: a and c run, b's output goes.
	c := e.put("words", "/a.txt", "one two three four", "/c.txt", "x", "/b.txt", "<delete>")
	set := e.wait(c.ID)
	if len(set) != 2 {
		t.Fatalf("commit set has %d commits, want the input and the output", len(set))
	}
	j, err := e.c.InspectJob(e.ctx, "count", c.ID)
	if err != nil || j.State != tusk.JobSuccess || j.DataProcessed != 2 || j.DataSkipped != 0 || j.DataTotal != 2 {
		t.Fatalf("second job = %+v, %v", j, err)
	}
	if got, want := e.files("count@master"), map[string]string{"/a.txt": "4\n", "/c.txt": "1\n"}; !cmp.Equal(got, want) {
		t.Fatalf("outputs = %v, want %v", got, want)
	}
	// A commit that changes nothing a datum sees skips everything, and
	// the outputs stay bit-identical.
	before := e.files("count@master")
	c = e.put("words", "/c.txt", "x")
	e.wait(c.ID)
	j, _ = e.c.InspectJob(e.ctx, "count", c.ID)
	if j.DataSkipped != 2 || j.DataProcessed != 0 {
		t.Errorf("unchanged datums: %+v", j)
	}
	if got := e.files("count@master"); !cmp.Equal(got, before) {
		t.Errorf("skipped datums changed outputs: %v", got)
	}
	// Logs of the datum are kept.
	var logs []string
	e.c.Logs(e.ctx, "count", "", "", false, func(l tusk.LogLine) error {
		logs = append(logs, l.Message)
		return nil
	})
	if !strings.Contains(strings.Join(logs, "\n"), "counting /pfs/words/a.txt") {
		t.Errorf("logs = %q", logs)
	}
}

func TestDuplicateOutputPathFailsTheJob(t *testing.T) {
	e := newEnv(t)
	e.repo("in")
	e.put("in", "/a", "1", "/b", "2")
	e.pipeline(`{"pipeline": {"name": "clash"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"cmd": ["sh", "-c", "echo x > /pfs/out/same"]}}`)
	j := e.lastJob("clash")
	if j.State != tusk.JobFailure || !strings.Contains(j.Reason, "/same") || strings.Count(j.Reason, "datum ") < 2 {
		t.Fatalf("job = %s: %s", j.State, j.Reason)
	}
	out, err := e.c.InspectCommit(e.ctx, "clash@"+j.ID)
	if err != nil || out.Error == "" {
		t.Errorf("output commit of a failed job: %+v, %v", out, err)
	}
}

func TestRetriesErrCmdAndUnrunnable(t *testing.T) {
	e := newEnv(t)
	e.repo("in")
	e.put("in", "/file1", "ok", "/file2", "bad")
	e.pipeline(`{"pipeline": {"name": "flaky"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"cmd": ["sh", "-c", "grep -q ok $in && cp $in /pfs/out/"]},
		"datum_tries": 2}`)
	e.pipeline(`{"pipeline": {"name": "after"}, "input": {"pfs": {"repo": "flaky", "glob": "/"}},
		"transform": {"cmd": ["sh", "-c", "true"]}}`)
	j := e.lastJob("flaky")
	if j.State != tusk.JobFailure || j.DataFailed != 1 || j.DataProcessed != 1 {
		t.Fatalf("flaky job = %+v", j)
	}
	var failed tusk.DatumInfo
	e.c.ListDatums(e.ctx, "flaky", j.ID, tusk.DatumFailed, func(d tusk.DatumInfo) error { failed = d; return nil })
	if failed.Attempts != 2 || !strings.Contains(failed.Reason, "exited with code 1") {
		t.Errorf("failed datum = %+v", failed)
	}
	if down := e.lastJob("after"); down.State != tusk.JobUnrunnable {
		t.Errorf("downstream of a failed job: %s (%s)", down.State, down.Reason)
	}

	e.pipeline(`{"pipeline": {"name": "recovering"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"cmd": ["sh", "-c", "grep -q ok $in && cp $in /pfs/out/"],
		"err_cmd": ["sh", "-c", "test $(basename $in) = file2"]}}`)
	j = e.lastJob("recovering")
	if j.State != tusk.JobSuccess || j.DataRecovered != 1 {
		t.Errorf("err_cmd job = %+v", j)
	}
}

func TestTimeoutsAndReturnCodes(t *testing.T) {
	e := newEnv(t)
	e.repo("in")
	e.put("in", "/a", "1")
	e.pipeline(`{"pipeline": {"name": "slow"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"cmd": ["sh", "-c", "sleep 30"]}, "datum_timeout": "1s", "datum_tries": 1}`)
	j := e.lastJob("slow")
	if j.State != tusk.JobFailure || !strings.Contains(j.Reason, "timeout") {
		t.Errorf("datum timeout: %s %s", j.State, j.Reason)
	}
	e.pipeline(`{"pipeline": {"name": "exit3"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"cmd": ["sh", "-c", "echo hi > /pfs/out/x; exit 3"], "accept_return_code": [3]}}`)
	if j := e.lastJob("exit3"); j.State != tusk.JobSuccess {
		t.Errorf("accepted return code: %s %s", j.State, j.Reason)
	}
}

func TestCommandsThatMisbehave(t *testing.T) {
	e := newEnv(t)
	e.repo("in")
	e.put("in", "/a", "1")
	e.pipeline(`{"pipeline": {"name": "nocmd"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"cmd": ["no-such-command-anywhere"]}, "datum_tries": 1}`)
	if j := e.lastJob("nocmd"); j.State != tusk.JobFailure || !strings.Contains(j.Reason, "no-such-command-anywhere") {
		t.Errorf("a command that cannot start: %s %s", j.State, j.Reason)
	}
	// A background process keeping stdout open must not hold the datum.
	e.pipeline(`{"pipeline": {"name": "bg"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"cmd": ["sh", "-c", "sleep 60 & echo ok > /pfs/out/a"]}}`)
	if j := e.lastJob("bg"); j.State != tusk.JobSuccess {
		t.Errorf("background process: %s %s", j.State, j.Reason)
	}
}

func TestDatumBatching(t *testing.T) {
	e := newEnv(t)
	e.repo("in")
	e.put("in", "/a", "one two", "/b", "three")
	// The command starts once and loops over datums with `tusk next datum`,
	// reading each datum's variables from $PFS/.env.
	e.pipeline(`{"pipeline": {"name": "batched"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"datum_batching": true, "cmd": ["sh", "-c",
		"while tusk next datum; do . $PFS/.env; if grep -q bad $in; then tusk next datum --error 'bad input'; . $PFS/.env; fi; wc -w < $in > $PFS/out/$(basename $in); echo $$ > $PFS/out/$(basename $in).pid; done"]},
		"datum_tries": 1}`)
	j := e.lastJob("batched")
	if j.State != tusk.JobSuccess || j.DataProcessed != 2 {
		t.Fatalf("batched job = %s %s (%d processed)", j.State, j.Reason, j.DataProcessed)
	}
	got := e.files("batched@master")
	if got["/a"] != "2\n" || got["/b"] != "1\n" || got["/a.pid"] != got["/b.pid"] || got["/a.pid"] == "" {
		t.Errorf("outputs = %v: want counts, and one process for every datum", got)
	}
	c := e.put("in", "/c", "bad")
	e.wait(c.ID)
	j, _ = e.c.InspectJob(e.ctx, "batched", c.ID)
	if j.State != tusk.JobFailure || !strings.Contains(j.Reason, "bad input") {
		t.Errorf("next datum --error: job %s %s", j.State, j.Reason)
	}
}
