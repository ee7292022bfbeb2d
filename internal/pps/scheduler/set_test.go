package scheduler_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/chunk"
	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pfs"
	"github.com/tuskdata/tusk/internal/pps"
	"github.com/tuskdata/tusk/internal/pps/scheduler"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/runner"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// These tests play the worker's part against the pipeline API itself:
// they claim datum sets and report results as a worker would.

// noWorkers is a runner that starts nothing: the test is the worker.
type noWorkers struct{}

func (noWorkers) Name() string                                    { return "none" }
func (noWorkers) Ensure(context.Context, runner.WorkerSpec) error { return nil }
func (noWorkers) Stop(context.Context, string) error              { return nil }
func (noWorkers) Close() error                                    { return nil }

type apiEnv struct {
	t     *testing.T
	ctx   context.Context
	db    *meta.DB
	fs    *pfs.API
	pps   *pps.API
	sched *scheduler.Scheduler
	// stop stops the pipeline system (not the stores) and waits for it.
	stop func()
	run  runner.Runner
	opts scheduler.Options
	// dsn and objects are the stores, which other servers may share.
	dsn     string
	objects blob.Store
}

// forStores runs test on each metadata store: SQLite, and PostgreSQL
// when TUSK_TEST_POSTGRES names a server.
func forStores(t *testing.T, test func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { test(t, filepath.Join(t.TempDir(), "meta.db")) })
	t.Run("postgres", func(t *testing.T) {
		testenv.Require(t, "postgres", "TUSK_TEST_POSTGRES")
		test(t, testenv.PostgresDatabase(t))
	})
}

// newAPIEnv runs the pipeline system on the metadata store dsn, with
// datum leases of lease.
func newAPIEnv(t *testing.T, dsn string, lease time.Duration) *apiEnv {
	t.Helper()
	return newAPIEnvWith(t, dsn, noWorkers{}, scheduler.Options{LeaseTTL: lease})
}

// newAPIEnvWith runs the pipeline system on the metadata store dsn, with
// run hosting its workers.
func newAPIEnvWith(t *testing.T, dsn string, run runner.Runner, opts scheduler.Options) *apiEnv {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	db, err := meta.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	objects := blob.NewMemory()
	fs, err := pfs.Open(ctx, db, objects, pfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := &apiEnv{t: t, ctx: ctx, db: db, fs: fs, run: run, opts: opts, dsn: dsn, objects: objects}
	e.start()
	return e
}

// start runs a pipeline system on e's stores until e.stop or the end of
// the test, as a server starting would.
func (e *apiEnv) start() {
	ctx, cancel := context.WithCancel(e.ctx)
	e.sched = scheduler.New(e.db, e.fs, e.run, e.opts)
	e.pps = pps.New(e.db, e.fs, e.sched, pps.Options{Limits: e.opts.Limits})
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.sched.Run(ctx)
	}()
	e.stop = sync.OnceFunc(func() {
		cancel()
		<-done
	})
	e.t.Cleanup(e.stop)
}

// ops stores the contents of path=content pairs as a client would and
// returns the put operations.
func (e *apiEnv) ops(kv ...string) []tusk.FileOp {
	e.t.Helper()
	pk, err := chunk.NewPacker(e.fs.ChunkParams(), func(c chunk.Chunk) error {
		return e.fs.PutChunk(e.ctx, c.ID, chunk.Encode(c.Data))
	})
	if err != nil {
		e.t.Fatal(err)
	}
	ops := make([]tusk.FileOp, len(kv)/2)
	for i := range ops {
		ops[i] = tusk.FileOp{Op: tusk.OpPut, Path: kv[2*i]}
		err := pk.Add(strings.NewReader(kv[2*i+1]), func(f chunk.File) {
			ops[i].Size, ops[i].Hash = f.Size, f.Hash
			for _, r := range f.Refs {
				ops[i].Refs = append(ops[i].Refs, tusk.DataRef{Chunk: r.Chunk, Offset: r.Offset, Length: r.Length})
			}
		})
		if err != nil {
			e.t.Fatal(err)
		}
	}
	if err := pk.Close(); err != nil {
		e.t.Fatal(err)
	}
	return ops
}

// input makes repo with one file per name.
func (e *apiEnv) input(repo string, names ...string) {
	e.t.Helper()
	if _, err := e.fs.CreateRepo(e.ctx, tusk.DefaultProject, repo, ""); err != nil {
		e.t.Fatal(err)
	}
	var kv []string
	for _, n := range names {
		kv = append(kv, "/"+n, n)
	}
	ref, _ := tusk.ParseRef(repo + "@master")
	if _, err := e.fs.ModifyFiles(e.ctx, ref, e.ops(kv...)); err != nil {
		e.t.Fatal(err)
	}
}

func (e *apiEnv) pipeline(js string) {
	e.t.Helper()
	ps, err := spec.Parse([]byte(js))
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.pps.CreatePipeline(e.ctx, &ps[0], false, false); err != nil {
		e.t.Fatal(err)
	}
}

// claim claims a set as worker, waiting for one.
func (e *apiEnv) claim(pipeline, worker string) []tusk.Task {
	e.t.Helper()
	ts, err := e.sched.NextTasks(e.ctx, pipeline, worker, 10*time.Second)
	if err != nil || len(ts) == 0 {
		e.t.Fatalf("claim a set of %s: %v, %v", pipeline, ts, err)
	}
	return ts
}

// result reports task t of worker: success with outputs (path=content
// pairs), or failure when outputs is nil.
func (e *apiEnv) result(t tusk.Task, worker string, outputs ...string) tusk.TaskResult {
	res := tusk.TaskResult{Pipeline: t.Pipeline, Job: t.Job, Datum: t.Datum, Claim: t.Claim, Worker: worker, State: tusk.DatumFailed,
		Reason: "told to fail"}
	if outputs != nil {
		res.State, res.Reason, res.Outputs = tusk.DatumSuccess, "", e.ops(outputs...)
	}
	return res
}

func (e *apiEnv) done(results ...tusk.TaskResult) {
	e.t.Helper()
	if err := e.sched.Done(e.ctx, results); err != nil {
		e.t.Fatal(err)
	}
}

func (e *apiEnv) job(pipeline, id string) tusk.JobInfo {
	e.t.Helper()
	js, err := e.pps.WaitJob(e.ctx, pipeline, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return js[0]
}

// awaitJob waits until the job id of pipeline exists: its controller makes
// it a moment after the commit it is for.
func (e *apiEnv) awaitJob(pipeline, id string) {
	e.t.Helper()
	testenv.Eventually(e.t, time.Minute, fmt.Sprintf("job %s of %s appears", id, pipeline), func() bool {
		_, err := e.pps.InspectJob(e.ctx, pipeline, id)
		return tusk.KindOf(err) != tusk.KindNotFound
	})
}

// files returns the paths of a commit.
func (e *apiEnv) files(repo, id string) []string {
	e.t.Helper()
	ref, _ := tusk.ParseRef(repo + "@" + id + ":/")
	var out []string
	err := e.fs.WalkFiles(e.ctx, ref, func(f fileset.File) error {
		out = append(out, f.Path)
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func datumIDs(ts []tusk.Task) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Datum)
	}
	return out
}

func TestDatumSetSpecNumber(t *testing.T) {
	forStores(t, func(t *testing.T, dsn string) {
		e := newAPIEnv(t, dsn, time.Minute)
		e.input("in", "a", "b", "c", "d", "e", "f", "g")
		e.pipeline(`{"pipeline": {"name": "three"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
			"transform": {"cmd": ["true"]}, "datum_set_spec": {"number": 3}}`)
		var sizes []int
		seen := map[string]bool{}
		for len(seen) < 7 {
			ts := e.claim("three", "w")
			sizes = append(sizes, len(ts))
			for _, d := range datumIDs(ts) {
				if seen[d] {
					t.Fatalf("datum %s handed out twice", d)
				}
				seen[d] = true
			}
		}
		if !slices.Equal(sizes, []int{3, 3, 1}) {
			t.Errorf("sets of %v datums, want 3, 3 and 1 (datum_set_spec.number 3)", sizes)
		}
	})
}

func TestDatumSetSpecSizeBytes(t *testing.T) {
	forStores(t, func(t *testing.T, dsn string) {
		e := newAPIEnv(t, dsn, time.Minute)
		// Each file holds its name: 4 bytes.
		e.input("in", "aaaa", "bbbb", "cccc", "dddd", "eeee", "ffff", "gggg")
		e.pipeline(`{"pipeline": {"name": "bysize"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
			"transform": {"cmd": ["true"]}, "datum_set_spec": {"size_bytes": 10}}`)
		var sizes []int
		for left := 7; left > 0; left -= sizes[len(sizes)-1] {
			sizes = append(sizes, len(e.claim("bysize", "w")))
			if sizes[len(sizes)-1] == 0 {
				t.Fatalf("an empty set with %d datums left", left)
			}
		}
		if !slices.Equal(sizes, []int{3, 3, 1}) {
			t.Errorf("sets of %v datums, want 3, 3 and 1 (4-byte datums up to size_bytes 10)", sizes)
		}
	})
}

func TestDatumSetSizeAdapts(t *testing.T) {
	forStores(t, func(t *testing.T, dsn string) {
		e := newAPIEnv(t, dsn, time.Minute)
		var names []string
		for i := range 40 {
			names = append(names, fmt.Sprintf("f%02d", i))
		}
		e.input("in", names...)
		e.pipeline(`{"pipeline": {"name": "spread"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
			"transform": {"cmd": ["true"]}, "parallelism_spec": {"constant": 2}}`)
		// A set is what is left over 2 workers × 4 sets each, at least 1.
		var sizes []int
		for left := 40; left > 0; {
			ts := e.claim("spread", "w")
			sizes = append(sizes, len(ts))
			if want := max(left/8, 1); len(ts) != want {
				t.Errorf("with %d datums queued, a set of %d, want %d", left, len(ts), want)
			}
			left -= len(ts)
		}
		t.Logf("set sizes: %v", sizes)
	})
}

func TestFailedDatumOfASetFailsAlone(t *testing.T) {
	forStores(t, func(t *testing.T, dsn string) {
		e := newAPIEnv(t, dsn, time.Minute)
		e.input("in", "a", "b", "c")
		e.pipeline(`{"pipeline": {"name": "p"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
			"transform": {"cmd": ["true"]}, "datum_set_spec": {"number": 3}, "datum_tries": 2}`)
		ts := e.claim("p", "w")
		if len(ts) != 3 {
			t.Fatalf("a set of %d datums, want 3", len(ts))
		}
		// One report for the set: the middle datum fails, the others succeed.
		e.done(e.result(ts[0], "w", "/out-a", "A"), e.result(ts[1], "w"), e.result(ts[2], "w", "/out-c", "C", "/more-c", "C2"))
		var states []string
		err := e.pps.ListDatums(e.ctx, "p", ts[0].Job, "", 0, 0, func(d tusk.DatumInfo) error {
			states = append(states, d.ID+"="+d.State+":"+strings.Join(d.Outputs, ","))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{ts[0].Datum + "=SUCCESS:/out-a", ts[1].Datum + "=QUEUED:", ts[2].Datum + "=SUCCESS:/more-c,/out-c"}
		if !slices.Equal(states, want) {
			t.Fatalf("datums after the report = %v, want %v", states, want)
		}
		// Its retry comes alone; once it succeeds the job commits every output.
		retry := e.claim("p", "w")
		if len(retry) != 1 || retry[0].Datum != ts[1].Datum || retry[0].Attempt != 2 {
			t.Fatalf("retry = %+v, want datum %s, attempt 2", retry, ts[1].Datum)
		}
		e.done(e.result(retry[0], "w", "/out-b", "B"))
		j := e.job("p", ts[0].Job)
		if j.State != tusk.JobSuccess || j.DataProcessed != 3 {
			t.Fatalf("job = %s (%s), %d processed", j.State, j.Reason, j.DataProcessed)
		}
		if got, want := e.files("p", j.ID), []string{"/more-c", "/out-a", "/out-b", "/out-c"}; !slices.Equal(got, want) {
			t.Errorf("output commit = %v, want %v", got, want)
		}
	})
}

func TestDeadWorkersSetIsRetried(t *testing.T) {
	forStores(t, func(t *testing.T, dsn string) {
		e := newAPIEnv(t, dsn, time.Second)
		e.input("in", "a", "b", "c")
		e.pipeline(`{"pipeline": {"name": "p"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
			"transform": {"cmd": ["true"]}, "datum_set_spec": {"number": 3}, "datum_tries": 1}`)
		dead := e.claim("p", "dead")
		// The dead worker never renews its leases: once they run out, the
		// whole set goes to another worker, as the same attempt: losing a
		// worker uses up none of the datums' tries.
		alive := e.claim("p", "alive")
		if !slices.Equal(datumIDs(alive), datumIDs(dead)) {
			t.Fatalf("the live worker got %v, want the dead one's %v", datumIDs(alive), datumIDs(dead))
		}
		for _, ta := range alive {
			if ta.Attempt != 1 || ta.Claim != 2 {
				t.Errorf("datum %s: attempt %d, claim %d; want attempt 1, claim 2", ta.Datum, ta.Attempt, ta.Claim)
			}
		}
		var results []tusk.TaskResult
		for i, ta := range alive {
			results = append(results, e.result(ta, "alive", fmt.Sprintf("/%d", i), "live"))
		}
		e.done(results...)
		// The dead worker's report, late, must not land.
		var late []tusk.TaskResult
		for _, td := range dead {
			late = append(late, e.result(td, "dead", "/late", "stale"))
		}
		e.done(late...)
		j := e.job("p", alive[0].Job)
		if j.State != tusk.JobSuccess || j.DataProcessed != 3 {
			t.Fatalf("job = %s (%s), %d processed", j.State, j.Reason, j.DataProcessed)
		}
		if got, want := e.files("p", j.ID), []string{"/0", "/1", "/2"}; !slices.Equal(got, want) {
			t.Errorf("output commit = %v, want %v", got, want)
		}
	})
}

func TestSetDatumsWritingOnePathAreNamed(t *testing.T) {
	forStores(t, func(t *testing.T, dsn string) {
		e := newAPIEnv(t, dsn, time.Minute)
		e.input("in", "a", "b")
		e.pipeline(`{"pipeline": {"name": "p"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
			"transform": {"cmd": ["true"]}, "datum_set_spec": {"number": 2}}`)
		ts := e.claim("p", "w")
		e.done(e.result(ts[0], "w", "/same", "x", "/a", "1"), e.result(ts[1], "w", "/same", "y"))
		j := e.job("p", ts[0].Job)
		if j.State != tusk.JobFailure || !strings.Contains(j.Reason, "/same") ||
			!strings.Contains(j.Reason, ts[0].Datum) || !strings.Contains(j.Reason, ts[1].Datum) {
			t.Errorf("job = %s: %s; want a failure naming /same and both datums", j.State, j.Reason)
		}
	})
}

func TestReleasedDatumKeepsItsAttempts(t *testing.T) {
	forStores(t, func(t *testing.T, dsn string) {
		e := newAPIEnv(t, dsn, time.Minute)
		e.input("in", "a")
		e.pipeline(`{"pipeline": {"name": "p"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
			"transform": {"cmd": ["true"]}, "datum_tries": 1}`)
		ts := e.claim("p", "w")
		res := e.result(ts[0], "w")
		res.State, res.Reason = tusk.DatumQueued, "given back"
		e.done(res)
		again := e.claim("p", "w2")
		if again[0].Datum != ts[0].Datum || again[0].Attempt != 1 {
			t.Fatalf("given back datum came again as %+v, want attempt 1 of %s", again[0], ts[0].Datum)
		}
	})
}

// An output that refers to chunks the store does not hold (sent to a
// server that died before storing them) runs again, without using up an
// attempt, and its next output lands.
func TestOutputOfLostChunksRunsAgain(t *testing.T) {
	forStores(t, func(t *testing.T, dsn string) {
		e := newAPIEnv(t, dsn, time.Minute)
		e.input("in", "a")
		e.pipeline(`{"pipeline": {"name": "p"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
			"transform": {"cmd": ["true"]}, "datum_tries": 1}`)
		e.start()
		ts := e.claim("p", "w")
		lost := e.result(ts[0], "w", "/out", "x")
		lost.Outputs[0].Refs[0].Chunk = chunk.ID([]byte("never stored"))
		e.done(lost)
		again := e.claim("p", "w2")
		if again[0].Datum != ts[0].Datum || again[0].Attempt != 1 {
			t.Fatalf("the datum whose output was lost came again as %+v, want attempt 1 of %s", again[0], ts[0].Datum)
		}
		e.done(e.result(again[0], "w2", "/out", "landed"))
		if j := e.job("p", again[0].Job); j.State != tusk.JobSuccess || !slices.Equal(e.files("p", j.ID), []string{"/out"}) {
			t.Errorf("job after the run again: %+v, files %v; want success with /out", j, e.files("p", j.ID))
		}
	})
}

// Restarting a datum counts as a failed attempt: it runs again while
// datum_tries remain, and fails on its last.
func TestRestartDatumUsesAnAttempt(t *testing.T) {
	forStores(t, func(t *testing.T, dsn string) {
		e := newAPIEnv(t, dsn, time.Minute)
		e.input("in", "a")
		e.pipeline(`{"pipeline": {"name": "twice"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
			"transform": {"cmd": ["true"]}, "datum_tries": 2}`)
		for try := 1; try <= 2; try++ {
			ts := e.claim("twice", "w")
			if len(ts) != 1 || ts[0].Attempt != try {
				t.Fatalf("claim %d: %+v", try, ts)
			}
			if n, err := e.sched.RestartDatum(e.ctx, "twice", ts[0].Job, []string{"/a"}); err != nil || n != 1 {
				t.Fatalf("restart on try %d = %d, %v", try, n, err)
			}
			d, err := e.pps.InspectDatum(e.ctx, "twice", ts[0].Job, ts[0].Datum)
			want := tusk.DatumQueued
			if try == 2 {
				want = tusk.DatumFailed
			}
			if err != nil || d.State != want {
				t.Errorf("after a restart on try %d of 2: %s (%s), %v; want %s", try, d.State, d.Reason, err, want)
			}
		}
	})
}

// Claims start where the last one ended: a datum given back waits behind
// the cursor until the rest of the queue is taken, then comes from the
// head.
func TestClaimsStartWhereTheLastEnded(t *testing.T) {
	forStores(t, func(t *testing.T, dsn string) {
		e := newAPIEnv(t, dsn, time.Minute)
		e.input("in", "a", "b", "c", "d", "e", "f", "g", "h")
		e.pipeline(`{"pipeline": {"name": "p"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
			"transform": {"cmd": ["true"]}, "datum_set_spec": {"number": 2}}`)
		paths := func(ts []tusk.Task) string {
			var out []string
			for _, t := range ts {
				out = append(out, t.Inputs[0].Path)
			}
			return strings.Join(out, ",")
		}
		first := e.claim("p", "w1")
		if got := paths(first); got != "/a,/b" {
			t.Fatalf("first set %s, want /a,/b", got)
		}
		back := e.result(first[0], "w1")
		back.State, back.Reason = tusk.DatumQueued, "given back"
		e.done(back)
		var sets []string
		for range 4 {
			sets = append(sets, paths(e.claim("p", "w2")))
		}
		if want := []string{"/c,/d", "/e,/f", "/g,/h", "/a"}; !slices.Equal(sets, want) {
			t.Errorf("sets after /a was given back: %v, want %v", sets, want)
		}
	})
}
