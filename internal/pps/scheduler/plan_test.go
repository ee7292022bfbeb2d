package scheduler_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

// TestPlanOfManyBatches plans jobs of more datums than planning stores at
// once (2000): the datums a job skips, runs and removes are those of its
// base, batch after batch.
func TestPlanOfManyBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("runs thousands of datums; skipped with -short")
	}
	forStores(t, func(t *testing.T, dsn string) {
		e := newAPIEnv(t, dsn, time.Minute)
		var as, bs []string
		for i := range 70 {
			as = append(as, fmt.Sprintf("a%02d", i))
		}
		for i := range 30 {
			bs = append(bs, fmt.Sprintf("b%02d", i))
		}
		e.input("a", as...)
		e.input("b", bs...)
		e.pipeline(`{"pipeline": {"name": "x"}, "transform": {"cmd": ["true"]},
			"input": {"cross": [{"pfs": {"repo": "a", "glob": "/*"}}, {"pfs": {"repo": "b", "glob": "/*"}}]}}`)
		js, err := e.pps.ListJobs(e.ctx, "x", "", 1)
		if err != nil || len(js) != 1 {
			t.Fatalf("jobs of x: %v, %v", js, err)
		}
		first := e.runAll("x", js[0].ID, 2100)
		if first.State != tusk.JobSuccess || first.DataTotal != 2100 || first.DataProcessed != 2100 {
			t.Fatalf("first job = %s", counts(first))
		}
		// Replace b00 by b30: 70 datums go, 70 come, 2030 are skipped.
		ref, _ := tusk.ParseRef("b@master")
		ops := append(e.ops("/b30", "b30"), tusk.FileOp{Op: tusk.OpDelete, Path: "/b00"})
		c, err := e.fs.ModifyFiles(e.ctx, ref, ops)
		if err != nil {
			t.Fatal(err)
		}
		second := e.runAll("x", c.ID, 70)
		if got := counts(second); got != "SUCCESS 2100/70/2030/0" {
			t.Errorf("second job = %s, want SUCCESS 2100/70/2030/0", got)
		}
		n := 0
		err = e.pps.ListDatums(e.ctx, "x", c.ID, "", 0, 0, func(d tusk.DatumInfo) error {
			n++
			for _, in := range d.Inputs {
				if in.Path == "/b00" {
					t.Errorf("datum %s of a removed file is listed", d.ID)
				}
			}
			return nil
		})
		if err != nil || n != 2100 {
			t.Errorf("listed %d datums, %v; want 2100", n, err)
		}
	})
}

// runAll waits for job id of pipeline to run, runs its want datums with
// success and no output, and returns the job once it is done.
func (e *apiEnv) runAll(pipeline, id string, want int) tusk.JobInfo {
	e.t.Helper()
	e.awaitJob(pipeline, id)
	ran := 0
	for ran < want {
		ts := e.claim(pipeline, "w")
		var res []tusk.TaskResult
		for _, t := range ts {
			if t.Job != id {
				e.t.Fatalf("claimed a datum of job %s, want only %s", t.Job, id)
			}
			res = append(res, tusk.TaskResult{Pipeline: t.Pipeline, Job: t.Job, Datum: t.Datum, Claim: t.Claim, Worker: "w",
				State: tusk.DatumSuccess})
		}
		e.done(res...)
		ran += len(ts)
	}
	if ran != want {
		e.t.Errorf("ran %d datums, want %d", ran, want)
	}
	return e.job(pipeline, id)
}

// counts is a job's datum counts as total/processed/skipped/failed.
func counts(j tusk.JobInfo) string {
	return fmt.Sprintf("%s %d/%d/%d/%d", j.State, j.DataTotal, j.DataProcessed, j.DataSkipped, j.DataFailed)
}
