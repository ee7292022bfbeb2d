package pps_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// datumStates returns the states of a job's datums by the base name of
// their input file.
func (e *env) datumStates(pipeline, job string) map[string]string {
	e.t.Helper()
	out := map[string]string{}
	err := e.c.ListDatums(e.ctx, pipeline, job, "", func(d tusk.DatumInfo) error {
		out[filepath.Base(d.Inputs[0].Path)] = d.State
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// eventually waits up to a minute for cond.
func (e *env) eventually(what string, cond func() bool) {
	e.t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			e.t.Fatalf("still not the case after a minute: %s", what)
		}
	}
}

// runs counts the lines of each file of dir: a datum's command appends a
// line to dir/<datum> each time it runs.
func runs(t *testing.T, dir string) map[string]int {
	t.Helper()
	out := map[string]int{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		b, err := os.ReadFile(filepath.Join(dir, en.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[en.Name()] = strings.Count(string(b), "\n")
	}
	return out
}

// A worker killed in the middle of a set (as by the out-of-memory killer)
// loses only the datum in hand: those it finished are kept, not run
// again, and the lost one runs again without using up a try.
func TestKilledWorkerKeepsFinishedDatums(t *testing.T) {
	e := newEnvLease(t, 3*time.Second)
	tmp := testenv.OpenDir(t, os.ModeSticky|0o777)
	count, gate, killed := filepath.Join(tmp, "runs"), filepath.Join(tmp, "go"), filepath.Join(tmp, "killed")
	if err := os.Mkdir(count, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(count, os.ModeSticky|0o777); err != nil { // whatever the umask
		t.Fatal(err)
	}
	e.repo("in")
	e.put("in", "/a", "A", "/b", "B", "/c", "C", "/d", "D", "/e", "E", "/f", "F")
	// d, on its first run, waits for the test's go, then for the test to
	// kill its worker.
	e.pipeline(fmt.Sprintf(`{"pipeline": {"name": "kill"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"cmd": ["sh", "-c", "n=$(basename $in); echo >> %[1]s/$n; if [ $n = d ] && [ ! -e %[3]s ]; then while [ ! -e %[2]s ]; do sleep 0.02; done; touch %[3]s; sleep 30; fi; cp $in /pfs/out/$n"]},
		"datum_set_spec": {"number": 6}, "datum_tries": 1}`, count, gate, killed))
	var job string
	e.eventually("a, b and c done and d running, in one set", func() bool {
		js, err := e.c.ListJobs(e.ctx, "kill", "", 1)
		if err != nil || len(js) == 0 {
			return false
		}
		job = js[0].ID
		st := e.datumStates("kill", job)
		return st["a"] == tusk.DatumSuccess && st["b"] == tusk.DatumSuccess && st["c"] == tusk.DatumSuccess && st["d"] == tusk.DatumRunning
	})
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	e.eventually("d waits to be killed", func() bool {
		_, err := os.Stat(killed)
		return err == nil
	})
	// The worker is the process whose datum directory is the pipeline's.
	workers := testenv.Running(filepath.Join(e.dir, "workers", "kill-"))
	if len(workers) == 0 {
		t.Fatal("no worker of pipeline kill runs")
	}
	for _, pid := range workers {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	j := e.lastJob("kill")
	if j.State != tusk.JobSuccess || j.DataProcessed != 6 {
		t.Fatalf("job = %s (%s), %d processed; want success with datum_tries 1", j.State, j.Reason, j.DataProcessed)
	}
	want := map[string]int{"a": 1, "b": 1, "c": 1, "d": 2, "e": 1, "f": 1}
	if got := runs(t, count); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("runs per datum = %v, want %v (only the datum in hand runs again)", got, want)
	}
	got := e.files("kill@master")
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		if got["/"+n] != strings.ToUpper(n) {
			t.Errorf("output /%s = %q, want %q", n, got["/"+n], strings.ToUpper(n))
		}
	}
	if len(got) != 6 {
		t.Errorf("output = %v, want 6 files", got)
	}
}

// With parallelism 1 at most one datum is RUNNING at any time: the others
// of the worker's set are STARTING until their command starts.
func TestOneWorkerRunsOneDatumAtATime(t *testing.T) {
	e := newEnv(t)
	e.repo("in")
	e.put("in", "/a", "A", "/b", "B", "/c", "C", "/d", "D", "/e", "E")
	e.pipeline(`{"pipeline": {"name": "one"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"cmd": ["sh", "-c", "sleep 0.3; cp $in /pfs/out/"]}, "datum_set_spec": {"number": 5}}`)
	seen := map[string]bool{}
	var job tusk.JobInfo
	for deadline := time.Now().Add(time.Minute); !tusk.JobDone(job.State); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the job did not end within a minute")
		}
		js, err := e.c.ListJobs(e.ctx, "one", "", 1)
		if err != nil || len(js) == 0 {
			continue
		}
		job = js[0]
		var running []string
		for n, s := range e.datumStates("one", job.ID) {
			seen[s] = true
			if s == tusk.DatumRunning {
				running = append(running, n)
			}
		}
		if len(running) > 1 {
			slices.Sort(running)
			t.Fatalf("datums %v RUNNING at once with parallelism 1", running)
		}
	}
	if job.State != tusk.JobSuccess {
		t.Fatalf("job = %s (%s)", job.State, job.Reason)
	}
	if !seen[tusk.DatumRunning] || !seen[tusk.DatumStarting] {
		t.Errorf("states seen during the job: %v; want RUNNING and STARTING", seen)
	}
	// Each datum's time runs from its command's start to its end: they do
	// not overlap.
	var ds []tusk.DatumInfo
	e.c.ListDatums(e.ctx, "one", job.ID, "", func(d tusk.DatumInfo) error {
		ds = append(ds, d)
		return nil
	})
	slices.SortFunc(ds, func(a, b tusk.DatumInfo) int { return a.Started.Compare(*b.Started) })
	for i := 1; i < len(ds); i++ {
		if ds[i].Started.Before(*ds[i-1].Finished) {
			t.Errorf("datum %s started at %v, before datum %s finished at %v", ds[i].ID, ds[i].Started, ds[i-1].ID, ds[i-1].Finished)
		}
	}
}
