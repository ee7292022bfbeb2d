package pps_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tuskdata/tusk/internal/tusk"
)

func TestPipelinesChainWithOneID(t *testing.T) {
	e := newEnv(t)
	e.repo("words")
	e.pipeline(wordCount)
	e.pipeline(`{"pipeline": {"name": "total"}, "input": {"pfs": {"repo": "count", "glob": "/"}},
		"transform": {"cmd": ["sh", "-c", "cat /pfs/count/* | awk '{s+=$1} END {print s}' > /pfs/out/total"]}}`)
	c := e.put("words", "/a.txt", "a b c", "/b.txt", "d e")
	set := e.wait(c.ID)
	var repos []string
	for _, s := range set {
		repos = append(repos, s.Repo)
		if s.State != tusk.CommitFinished || s.ID != c.ID {
			t.Errorf("commit %s@%s: %s", s.Repo, s.ID, s.State)
		}
	}
	if want := []string{"count", "total", "words"}; !cmp.Equal(repos, want) {
		t.Errorf("commit set = %v, want %v", repos, want)
	}
	if got := e.files("total@master")["/total"]; got != "5\n" {
		t.Errorf("total = %q", got)
	}
	jobs, err := e.c.ListJobs(e.ctx, "", c.ID, 0)
	if err != nil || len(jobs) != 2 {
		t.Fatalf("jobs of the commit set: %+v, %v", jobs, err)
	}
	out, err := e.c.InspectCommit(e.ctx, "total@"+c.ID)
	if err != nil || len(out.Provenance) != 1 || out.Provenance[0].Repo != "count" || out.Provenance[0].ID != c.ID {
		t.Errorf("provenance of the last output: %+v, %v", out.Provenance, err)
	}
}

func TestUpdateKeepsResultsUnlessReprocess(t *testing.T) {
	e := newEnv(t)
	e.repo("words")
	e.put("words", "/a.txt", "a b", "/b.txt", "c")
	e.pipeline(wordCount)
	e.lastJob("count")
	updated := strings.Replace(wordCount, "wc -w", "wc -c", 1)
	if _, err := e.c.CreatePipeline(e.ctx, []byte(updated), true, false, false); err != nil {
		t.Fatal(err)
	}
	j := e.lastJob("count")
	if j.PipelineVersion != 2 || j.DataSkipped != 2 || j.DataProcessed != 0 {
		t.Errorf("update without reprocess: %+v", j)
	}
	if err := e.c.PipelineAction(e.ctx, "count", "rerun", true); err != nil {
		t.Fatal(err)
	}
	j = e.lastJob("count")
	if j.DataProcessed != 2 || j.DataSkipped != 0 {
		t.Errorf("rerun --reprocess: %+v", j)
	}
	if got := e.files("count@master")["/a.txt"]; got != "3\n" { // wc -c of "a b"
		t.Errorf("reprocessed output = %q, want the new command's", got)
	}
	hist, err := e.c.PipelineHistory(e.ctx, "count", 0)
	if err != nil || len(hist) != 3 {
		t.Errorf("history has %d versions, want 3 (%v)", len(hist), err)
	}
}

func TestCrossJoinAndEnvironment(t *testing.T) {
	e := newEnv(t)
	e.repo("left")
	e.repo("right")
	e.put("left", "/k1_l.txt", "L1", "/k2_l.txt", "L2")
	e.put("right", "/k1_r.txt", "R1", "/k3_r.txt", "R3")
	e.pipeline(`{"pipeline": {"name": "joined"},
		"input": {"join": [
			{"pfs": {"repo": "left", "glob": "/(*)_l.txt", "join_on": "$1"}},
			{"pfs": {"repo": "right", "glob": "/(*)_r.txt", "join_on": "$1"}}]},
		"transform": {"cmd": ["sh", "-c", "cat $left $right > /pfs/out/$PACH_DATUM_left_JOIN_ON; echo $PACH_JOB_ID > /pfs/out/job-$PACH_DATUM_left_JOIN_ON"]}}`)
	j := e.lastJob("joined")
	got := e.files("joined@master")
	if j.State != tusk.JobSuccess || got["/k1"] != "L1R1" || len(got) != 2 || got["/job-k1"] != j.ID+"\n" {
		t.Errorf("join: job %s, outputs %v", j.State, got)
	}
	e.pipeline(`{"pipeline": {"name": "crossed"},
		"input": {"cross": [{"pfs": {"repo": "left", "glob": "/*"}}, {"pfs": {"repo": "right", "glob": "/*"}}]},
		"transform": {"cmd": ["sh", "-c", "cat $left $right > /pfs/out/$PACH_DATUM_ID"]}}`)
	j = e.lastJob("crossed")
	if j.DataTotal != 4 || len(e.files("crossed@master")) != 4 {
		t.Errorf("cross of 2×2: %+v", j)
	}
}

func TestServerRestartMidJob(t *testing.T) {
	e := newEnv(t)
	e.repo("in")
	var kv []string
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		kv = append(kv, "/"+n, n)
	}
	e.put("in", kv...)
	e.pipeline(`{"pipeline": {"name": "slowcopy"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"cmd": ["sh", "-c", "sleep 0.5; cp $in /pfs/out/"]}}`)
	js, _ := e.c.ListJobs(e.ctx, "slowcopy", "", 1)
	// Let a datum or two finish, then stop the server and start it again.
	for {
		j, _ := e.c.InspectJob(e.ctx, "slowcopy", js[0].ID)
		if j.DataProcessed >= 1 || tusk.JobDone(j.State) {
			break
		}
	}
	e.stop()
	e.start()
	done, err := e.c.WaitJob(e.ctx, "slowcopy", js[0].ID)
	if err != nil || done[0].State != tusk.JobSuccess {
		t.Fatalf("job after restart: %+v, %v", done, err)
	}
	want := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		want[kv[i]] = kv[i+1]
	}
	if got := e.files("slowcopy@master"); !cmp.Equal(got, want) {
		t.Errorf("outputs after restart = %v", got)
	}
}

func TestOutputRepoIsProtected(t *testing.T) {
	e := newEnv(t)
	e.repo("words")
	e.pipeline(wordCount)
	err := e.c.DeleteRepo(e.ctx, "count", false)
	if tusk.KindOf(err) != tusk.KindConflict {
		t.Errorf("delete a pipeline's output repo: %v, want a conflict", err)
	}
	if err := e.c.DeleteRepo(e.ctx, "words", false); tusk.KindOf(err) != tusk.KindConflict {
		t.Errorf("delete a pipeline's input repo: %v, want a conflict", err)
	}
}
