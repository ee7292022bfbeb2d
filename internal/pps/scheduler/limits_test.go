package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/pps"
	"github.com/tuskdata/tusk/internal/pps/scheduler"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/runner"
	"github.com/tuskdata/tusk/internal/tusk"
)

// recordingRunner remembers the most workers it was asked to run for
// each pipeline, and the last spec of each, and runs none.
type recordingRunner struct {
	noWorkers
	mu      sync.Mutex
	workers map[string]int
	last    map[string]runner.WorkerSpec
}

func (r *recordingRunner) Ensure(_ context.Context, w runner.WorkerSpec) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.workers[w.Pipeline] = max(r.workers[w.Pipeline], w.Workers)
	if r.last == nil {
		r.last = map[string]runner.WorkerSpec{}
	}
	r.last[w.Pipeline] = w
	return nil
}

// wait returns the most workers asked for each pipeline, once every one
// of them was asked for some.
func (r *recordingRunner) wait(t *testing.T, pipelines ...string) map[string]int {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		r.mu.Lock()
		all := true
		out := map[string]int{}
		for _, p := range pipelines {
			out[p] = r.workers[p]
			all = all && out[p] > 0
		}
		r.mu.Unlock()
		if all {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("workers asked for: %v, want some for each of %v", out, pipelines)
		}
	}
}

// create creates or updates a pipeline from js.
func (e *apiEnv) create(js string, update bool) error {
	e.t.Helper()
	ps, err := spec.Parse([]byte(js))
	if err != nil {
		e.t.Fatal(err)
	}
	_, err = e.pps.CreatePipeline(e.ctx, &ps[0], update, false)
	return err
}

// wantRefusal checks that err is an invalid-input error that says all of
// subs.
func wantRefusal(t *testing.T, what string, err error, subs ...string) {
	t.Helper()
	if !errors.Is(err, tusk.ErrInvalid) {
		t.Errorf("%s: %v, want a refusal", what, err)
		return
	}
	for _, s := range subs {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%s: %q does not say %q", what, err, s)
		}
	}
}

func parallel(name string, n int) string {
	return fmt.Sprintf(`{"pipeline": {"name": %q}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"cmd": ["true"]}, "parallelism_spec": {"constant": %d}}`, name, n)
}

func TestParallelismIsBounded(t *testing.T) {
	forStores(t, func(t *testing.T, dsn string) {
		e := newAPIEnvWith(t, dsn, noWorkers{}, scheduler.Options{Limits: pps.Limits{MaxParallelism: 4, MaxTotalParallelism: 6}})
		e.input("in", "a", "b")
		wantRefusal(t, "100000 workers", e.create(parallel("huge", 100000), false), "100000", "limit of 4", "--max-parallelism")
		if err := e.create(parallel("p", 4), false); err != nil {
			t.Fatal(err)
		}
		wantRefusal(t, "update to 5 workers", e.create(parallel("p", 5), true), "limit of 4", "--max-parallelism")
		wantRefusal(t, "3 more workers", e.create(parallel("q", 3), false), "limit of 6", "--max-total-parallelism", "at most 2")
		if err := e.create(parallel("q", 2), false); err != nil {
			t.Fatal(err)
		}
		if err := e.create(parallel("p", 3), true); err != nil {
			t.Errorf("update within the limits: %v", err)
		}
		if _, err := e.pps.InspectPipeline(e.ctx, "huge"); tusk.KindOf(err) != tusk.KindNotFound {
			t.Errorf("a refused pipeline exists: %v", err)
		}
	})
}

func TestWorkersStayWithinTheLimitsOfTheServer(t *testing.T) {
	forStores(t, func(t *testing.T, dsn string) {
		// Pipelines made under larger limits are run within the
		// server's limits of now.
		e := newAPIEnvWith(t, dsn, noWorkers{}, scheduler.Options{})
		e.input("in", "a", "b")
		for _, name := range []string{"p", "q"} {
			if err := e.create(parallel(name, 8), false); err != nil {
				t.Fatal(err)
			}
		}
		rec := &recordingRunner{workers: map[string]int{}}
		ctx, cancel := context.WithCancel(e.ctx)
		now := scheduler.New(e.db, e.fs, rec, scheduler.Options{Limits: pps.Limits{MaxParallelism: 3, MaxTotalParallelism: 4}})
		done := make(chan struct{})
		go func() {
			defer close(done)
			now.Run(ctx)
		}()
		t.Cleanup(func() {
			cancel()
			<-done
		})
		got := rec.wait(t, "p", "q")
		if got["p"] > 3 || got["q"] > 3 || got["p"]+got["q"] > 4 {
			t.Errorf("workers = %v, want at most 3 each and 4 in all", got)
		}
	})
}

func cron(name, schedule string) string {
	return fmt.Sprintf(`{"pipeline": {"name": %q}, "input": {"cron": {"name": "tick", "spec": %q}}, "transform": {"cmd": ["true"]}}`,
		name, schedule)
}

func TestCronIntervalIsBounded(t *testing.T) {
	forStores(t, func(t *testing.T, dsn string) {
		e := newAPIEnvWith(t, dsn, noWorkers{}, scheduler.Options{Limits: pps.Limits{MinCronInterval: time.Minute}})
		wantRefusal(t, "@every 10s", e.create(cron("fast", "@every 10s"), false), "10s", "1m0s", "--min-cron-interval")
		for _, ok := range []string{"@every 1m", "* * * * *", "@hourly", "never"} {
			if err := e.create(cron("ok", ok), true); err != nil {
				t.Errorf("cron %q: %v", ok, err)
			}
		}
		wantRefusal(t, "update to @every 30s", e.create(cron("ok", "@every 30s"), true), "--min-cron-interval")
	})
}

func TestCronIntervalDefaultsToASecond(t *testing.T) {
	e := newAPIEnvWith(t, filepath.Join(t.TempDir(), "meta.db"), noWorkers{}, scheduler.Options{})
	wantRefusal(t, "@every 100ms", e.create(cron("ms", "@every 100ms"), false), "100ms", "1s", "--min-cron-interval")
	if err := e.create(cron("s", "@every 1s"), false); err != nil {
		t.Errorf("@every 1s: %v", err)
	}
}

func TestDatumsAreCountedBeforeTheyAreMade(t *testing.T) {
	forStores(t, func(t *testing.T, dsn string) {
		e := newAPIEnvWith(t, dsn, noWorkers{}, scheduler.Options{Limits: pps.Limits{MaxDatums: 5}})
		e.input("a", "1", "2", "3")
		e.input("b", "1", "2")
		combine := func(name, kind string) string {
			return fmt.Sprintf(`{"pipeline": {"name": %q}, "transform": {"cmd": ["true"]},
				"input": {%q: [{"pfs": {"repo": "a", "glob": "/*"}}, {"pfs": {"repo": "b", "glob": "/*"}}]}}`, name, kind)
		}
		wantRefusal(t, "cross of 3×2", e.create(combine("x", "cross"), false), "6 datums", "limit of 5", "--max-datums")
		ps, _ := spec.Parse([]byte(combine("x", "cross")))
		wantRefusal(t, "validate cross of 3×2", e.pps.ValidatePipeline(e.ctx, &ps[0], false), "6 datums", "--max-datums")
		if err := e.create(combine("u", "union"), false); err != nil {
			t.Fatalf("union of 3+2: %v", err)
		}
		wantRefusal(t, "update to a cross", e.create(combine("u", "cross"), true), "6 datums", "--max-datums")
		js, err := e.pps.ListJobs(e.ctx, "u", "", 1)
		if err != nil || len(js) != 1 {
			t.Fatalf("jobs of u: %v, %v", js, err)
		}
		if err := e.pps.StopJob(e.ctx, "u", js[0].ID); err != nil {
			t.Fatal(err)
		}
		// A job whose inputs grew past the limit fails, saying why.
		ref, _ := tusk.ParseRef("b@master")
		c, err := e.fs.ModifyFiles(e.ctx, ref, e.ops("/3", "3"))
		if err != nil {
			t.Fatal(err)
		}
		e.awaitJob("u", c.ID)
		j := e.job("u", c.ID)
		if j.State != tusk.JobFailure || !strings.Contains(j.Reason, "6 datums") || !strings.Contains(j.Reason, "--max-datums") {
			t.Errorf("job over the limit = %s %q, want it failed with the count and the flag", j.State, j.Reason)
		}
	})
}

func TestDatumLogsAreCappedInBytes(t *testing.T) {
	forStores(t, func(t *testing.T, dsn string) {
		e := newAPIEnvWith(t, dsn, noWorkers{}, scheduler.Options{Limits: pps.Limits{MaxDatumLogBytes: 2000}})
		e.input("in", "a")
		if err := e.create(parallel("p", 1), false); err != nil {
			t.Fatal(err)
		}
		line := func(datum string, i int) tusk.LogLine {
			return tusk.LogLine{Pipeline: "p", Job: "j", Datum: datum, Time: time.Unix(0, 0).UTC(), User: true,
				Message: fmt.Sprintf("%03d %s", i, strings.Repeat("x", 96))}
		}
		for i := range 40 {
			if err := e.pps.AppendLogs(e.ctx, []tusk.LogLine{line("d", i), line("other", i)}); err != nil {
				t.Fatal(err)
			}
		}
		logs, err := e.pps.Logs(e.ctx, "p", "j", "d")
		if err != nil {
			t.Fatal(err)
		}
		size := 0
		for _, l := range logs[:len(logs)-1] {
			size += len(l.Message)
		}
		last := logs[len(logs)-1].Message
		if len(logs) < 5 || len(logs) > 20 || size > 2000 {
			t.Errorf("kept %d lines of %d message bytes, want the first ones within 2000 bytes", len(logs), size)
		}
		if !strings.Contains(last, "log truncated") || !strings.Contains(last, "2000 bytes") || !strings.Contains(last, "--max-datum-log-bytes") {
			t.Errorf("last line = %q, want a marker naming the limit and the flag", last)
		}
		for i, l := range logs[:len(logs)-1] {
			if want := line("d", i).Message; l.Message != want {
				t.Errorf("line %d = %q, want %q", i, l.Message, want)
			}
		}
		other, err := e.pps.Logs(e.ctx, "p", "j", "other")
		if err != nil || len(other) != len(logs) {
			t.Errorf("the other datum kept %d lines, %v; want its own %d", len(other), err, len(logs))
		}
	})
}

func TestPipelineWithoutWorkersLeftSaysWhy(t *testing.T) {
	forStores(t, func(t *testing.T, dsn string) {
		e := newAPIEnvWith(t, dsn, noWorkers{}, scheduler.Options{})
		e.input("in", "a", "b")
		for _, name := range []string{"p", "q"} {
			if err := e.create(parallel(name, 2), false); err != nil {
				t.Fatal(err)
			}
		}
		e.stop()
		// A server whose limit of workers in all fits one of the two.
		rec := &recordingRunner{workers: map[string]int{}}
		e.run, e.opts = rec, scheduler.Options{Limits: pps.Limits{MaxParallelism: 2, MaxTotalParallelism: 2}}
		e.start()
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			rec.mu.Lock()
			got := maps.Clone(rec.workers)
			rec.mu.Unlock()
			starved := "q"
			if got["q"] > 0 {
				starved = "p"
			}
			info, err := e.pps.InspectPipeline(e.ctx, starved)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 1 && info.State == tusk.PipelineCrashing && strings.Contains(info.Reason, "--max-total-parallelism") {
				break
			}
			if len(got) > 1 || time.Now().After(deadline) {
				t.Fatalf("workers = %v, %s is %s (%q); want one pipeline with 2 workers, the other CRASHING naming --max-total-parallelism",
					got, starved, info.State, info.Reason)
			}
		}
	})
}
