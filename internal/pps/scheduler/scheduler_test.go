package scheduler_test

import (
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// TestJobsOverCommits runs a pipeline's jobs over three commits of its
// input with no worker process: the test claims and reports datums
// through the scheduler's API as workers would. Each job runs only the
// datums whose inputs changed and keeps the others' outputs; a worker
// that stops answering loses its datums when their leases run out, and
// its late report does not land; a scheduler that dies (a server) has
// the datums claimed through it given back by the next one, at no cost
// to their tries. Every output lands once, from the attempt that was
// current.
func TestJobsOverCommits(t *testing.T) {
	forStores(t, func(t *testing.T, dsn string) {
		e := newAPIEnv(t, dsn, time.Second)
		e.input("in", "a", "b", "c")
		e.pipeline(`{"pipeline": {"name": "p"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
			"transform": {"cmd": ["true"]}, "datum_set_spec": {"number": 10}}`)
		js, err := e.pps.ListJobs(e.ctx, "p", "", 1)
		if err != nil || len(js) != 1 {
			t.Fatalf("jobs of p: %v, %v", js, err)
		}

		// The first job runs every datum.
		first := e.claim("p", "w")
		if got := inputPaths(first); !slices.Equal(got, []string{"/a", "/b", "/c"}) {
			t.Fatalf("first job's datums = %v, want /a, /b and /c", got)
		}
		e.done(e.report(first, "w", "1")...)
		if j := e.job("p", js[0].ID); counts(j) != "SUCCESS 3/3/0/0" {
			t.Fatalf("first job = %s (%s), want SUCCESS 3/3/0/0", counts(j), j.Reason)
		}

		// The second commit changes /b and adds /d: only their datums run.
		second := e.commit("in", e.ops("/b", "b2", "/d", "d"))
		e.awaitJob("p", second)
		dead := e.claim("p", "dead")
		if got := inputPaths(dead); !slices.Equal(got, []string{"/b", "/d"}) {
			t.Fatalf("second job's datums = %v, want only /b and /d", got)
		}
		// Their worker never reports: once the leases run out, another
		// worker gets them, as the same attempt.
		alive := e.claim("p", "alive")
		if !slices.Equal(datumIDs(alive), datumIDs(dead)) {
			t.Fatalf("the live worker got %v, want the lost one's %v", datumIDs(alive), datumIDs(dead))
		}
		for _, ta := range alive {
			if ta.Attempt != 1 || ta.Claim != 2 {
				t.Errorf("datum %s claimed again: attempt %d, claim %d; want attempt 1, claim 2", ta.Datum, ta.Attempt, ta.Claim)
			}
		}
		e.done(e.report(dead, "dead", "2")...) // late: dropped
		e.done(e.report(alive, "alive", "2")...)
		if j := e.job("p", second); counts(j) != "SUCCESS 4/2/2/0" {
			t.Fatalf("second job = %s (%s), want SUCCESS 4/2/2/0", counts(j), j.Reason)
		}
		want := map[string]string{"/a": "1 by w", "/b": "2 by alive", "/c": "1 by w", "/d": "2 by alive"}
		if got := e.contents("p", second); !maps.Equal(got, want) {
			t.Errorf("second output commit = %v, want %v", got, want)
		}

		// The third commit changes /c; the scheduler through which its
		// datum was claimed stops, as its server would die, and the next
		// one gives the datum back before its lease runs out.
		third := e.commit("in", e.ops("/c", "c3"))
		e.awaitJob("p", third)
		lost := e.claim("p", "w")
		if got := inputPaths(lost); !slices.Equal(got, []string{"/c"}) {
			t.Fatalf("third job's datums = %v, want only /c", got)
		}
		e.stop()
		e.start()
		testenv.Eventually(t, time.Minute, "the next scheduler gives back the datum claimed through the stopped one", func() bool {
			d := e.datums("p", third)[lost[0].Datum]
			return d.State == tusk.DatumQueued && strings.Contains(d.Reason, "given back")
		})
		again := e.claim("p", "w2")
		if len(again) != 1 || again[0].Datum != lost[0].Datum || again[0].Attempt != 1 {
			t.Fatalf("given back datum came again as %+v, want attempt 1 of %s", again, lost[0].Datum)
		}
		e.done(e.report(again, "w2", "3")...)
		e.done(e.report(lost, "w", "3")...) // through the stopped scheduler: dropped
		if j := e.job("p", third); counts(j) != "SUCCESS 4/1/3/0" {
			t.Fatalf("third job = %s (%s), want SUCCESS 4/1/3/0", counts(j), j.Reason)
		}
		want["/c"] = "3 by w2"
		if got := e.contents("p", third); !maps.Equal(got, want) {
			t.Errorf("third output commit = %v, want %v", got, want)
		}
	})
}

// report reports the success of tasks of worker, each writing its input's
// path with "JOB by WORKER".
func (e *apiEnv) report(tasks []tusk.Task, worker, job string) []tusk.TaskResult {
	var out []tusk.TaskResult
	for _, t := range tasks {
		out = append(out, e.result(t, worker, t.Inputs[0].Path, job+" by "+worker))
	}
	return out
}

// commit applies ops to repo@master and returns the commit's ID.
func (e *apiEnv) commit(repo string, ops []tusk.FileOp) string {
	e.t.Helper()
	ref, _ := tusk.ParseRef(repo + "@master")
	c, err := e.fs.ModifyFiles(e.ctx, ref, ops)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.ID
}

// contents returns the path and content of every file of a commit.
func (e *apiEnv) contents(repo, id string) map[string]string {
	e.t.Helper()
	ref, _ := tusk.ParseRef(repo + "@" + id + ":/")
	out := map[string]string{}
	err := e.fs.WalkFiles(e.ctx, ref, func(f fileset.File) error {
		b, err := io.ReadAll(e.fs.Content(e.ctx, f, 0))
		out[f.Path] = string(b)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// inputPaths returns the input paths of tasks, sorted.
func inputPaths(tasks []tusk.Task) []string {
	var out []string
	for _, t := range tasks {
		out = append(out, t.Inputs[0].Path)
	}
	slices.Sort(out)
	return out
}
