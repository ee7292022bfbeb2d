package cli

import (
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/pachapi"
)

// TestE2ETrigger: data@master is triggered by staging every second
// commit; a pipeline reads data@master. One commit to staging runs no
// job; the second moves master, and one job runs on it. list and
// inspect branch show the trigger, and bad triggers are refused.
func TestE2ETrigger(t *testing.T) {
	e := startServer(t, processRunner...)
	e.run("create", "repo", "data")
	e.run("create", "branch", "data@master", "--trigger", "staging", "--trigger-commits", "2")
	e.run("create", "pipeline", "-f", e.writeFile("copy.json", []byte(`{
  "pipeline": {"name": "copy"},
  "transform": {"cmd": ["sh", "-c", "cp -r /pfs/data/. /pfs/out/"]},
  "input": {"pfs": {"repo": "data", "branch": "master", "glob": "/*"}}
}`)))
	first := e.headJob("copy")
	e.waitJobs(first)
	jobs := func() int { return len(lines[pachapi.JobInfo](e, "list", "job", "-p", "copy")) }
	before := jobs()

	e.runIn(strings.NewReader("one\n"), "put", "file", "data@staging:/a")
	if got := e.headJob("copy"); got != first {
		t.Fatalf("one commit to staging made a job (copy@master at %s, was %s)", got, first)
	}
	e.runIn(strings.NewReader("two\n"), "put", "file", "data@staging:/b")
	staging := object[pachapi.BranchInfo](e, "inspect", "branch", "data@staging").Head.ID
	if got := object[pachapi.BranchInfo](e, "inspect", "branch", "data@master").Head.ID; got != staging {
		t.Fatalf("after two commits data@master is at %s, want staging's head %s", got, staging)
	}
	e.waitJobs(staging)
	if n := jobs(); n != before+1 {
		t.Errorf("copy ran %d jobs after the trigger, want %d", n, before+1)
	}
	if got := e.run("get", "file", "copy@master:/b"); got != "two\n" {
		t.Errorf("copy@master:/b = %q", got)
	}

	wantContains(t, "list branch", e.run("list", "branch", "data"), "TRIGGER", "staging on Commits(2)")
	wantContains(t, "inspect branch", e.run("inspect", "branch", "data@master"), "Trigger:", "staging on Commits(2)")
	trig := object[pachapi.BranchInfo](e, "inspect", "branch", "data@master").Trigger
	if trig == nil || trig.Branch != "staging" || trig.Commits != 2 {
		t.Errorf("inspect branch -o json trigger = %+v, want staging, 2 commits", trig)
	}

	// A transaction records a trigger and applies it at finish.
	id := e.startTxn()
	e.recorded(id, "create", "branch", "data@weekly", "--trigger", "master", "--trigger-cron", "@weekly")
	if tr := object[pachapi.TransactionInfo](e, "inspect", "transaction").Requests[0].CreateBranch.Trigger; tr == nil || tr.CronSpec != "@weekly" {
		t.Errorf("the recorded create branch has trigger %+v, want @weekly", tr)
	}
	e.run("finish", "transaction")
	wantContains(t, "inspect branch after the transaction", e.run("inspect", "branch", "data@weekly"), "master on Cron(@weekly)")

	for _, c := range []struct {
		code int
		args []string
		want string
	}{
		{exitError, []string{"--trigger", "staging", "--trigger-cron", "every day"}, "cron spec"},
		{exitError, []string{"--trigger", "staging", "--trigger-size", "lots"}, "trigger size"},
		{exitError, []string{"--trigger", "staging"}, "no condition"},
		{exitError, []string{"--trigger", "prod", "--trigger-commits", "1"}, "loop"},
		{exitUsage, []string{"--trigger-commits", "1"}, "need --trigger"},
		{exitUsage, []string{"--trigger", "other@staging", "--trigger-commits", "1"}, "same repo"},
	} {
		branch := "data@prod"
		if c.want == "loop" {
			e.run("create", "branch", "data@prod", "--trigger", "master", "--trigger-all")
			branch = "data@staging"
		}
		if stderr := e.fail(c.code, append([]string{"create", "branch", branch}, c.args...)...); !strings.Contains(stderr, c.want) {
			t.Errorf("create branch %s %v: %q, want %q", branch, c.args, stderr, c.want)
		}
	}
}
