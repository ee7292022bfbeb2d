package pps_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tuskdata/tusk/internal/server"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
	"github.com/tuskdata/tusk/internal/tusktest"
)

// datumRow is what the tests check of a listed datum.
type datumRow struct {
	Path, State string
	Index       int64
	Outputs     []string
	Commit      string
}

// datums lists a job's datums (in one state, if given) as datumRows, and
// checks that inspect datum describes each as the listing does.
func (e *env) datums(pipeline, job, state string) []datumRow {
	e.t.Helper()
	var out []datumRow
	err := e.c.ListDatums(e.ctx, pipeline, job, state, func(d tusk.DatumInfo) error {
		if d.Job != job || len(d.Inputs) != 1 {
			e.t.Errorf("datum %+v listed for job %s", d, job)
		}
		if got, err := e.c.InspectDatum(e.ctx, pipeline, job, d.ID); err != nil || !cmp.Equal(got, d) {
			e.t.Errorf("inspect datum %s of %s@%s = %+v, %v; listed as %+v", d.ID, pipeline, job, got, err, d)
		}
		out = append(out, datumRow{d.Inputs[0].Path, d.State, d.Index, d.Outputs, d.Inputs[0].Commit})
		return nil
	})
	if err != nil {
		e.t.Fatalf("list datums of %s@%s: %v", pipeline, job, err)
	}
	return out
}

// job waits for a commit set and returns pipeline's job in it.
func (e *env) job(pipeline string, c tusk.Commit) tusk.JobInfo {
	e.t.Helper()
	e.wait(c.ID)
	js, err := e.c.WaitJob(e.ctx, pipeline, c.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return js[0]
}

// counts is a job's datum counts as total/processed/skipped/failed.
func counts(j tusk.JobInfo) string {
	return fmt.Sprintf("%s %d/%d/%d/%d", j.State, j.DataTotal, j.DataProcessed, j.DataSkipped, j.DataFailed)
}

// newPostgresEnv is newEnv with the metadata in a fresh PostgreSQL
// database, when the tests have one.
func newPostgresEnv(t *testing.T) *env {
	dsn := testenv.PostgresDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	e := &env{t: t, ctx: ctx, dir: t.TempDir()}
	_, e.c, e.stop = tusktest.StartServer(t, server.Config{DataDir: e.dir, Metadata: dsn, Runner: "process", WorkerBinary: tuskBin})
	return e
}

func TestSkippedDatumsAcrossJobs(t *testing.T) { skippedDatumsAcrossJobs(t, newEnv(t)) }

func TestSkippedDatumsAcrossJobsPostgres(t *testing.T) { skippedDatumsAcrossJobs(t, newPostgresEnv(t)) }

// Each datum of /d/* writes two outputs; skipped datums are listed as
// such in every job of a chain, with their outputs, and a deleted input
// removes exactly the outputs of its datum, even after jobs that skipped
// everything.
func skippedDatumsAcrossJobs(t *testing.T, e *env) {
	e.repo("in")
	e.put("in", "/d/a", "1", "/d/b", "22", "/d/c", "333")
	e.pipeline(`{"pipeline": {"name": "two"}, "input": {"pfs": {"repo": "in", "glob": "/d/*"}},
		"transform": {"cmd": ["sh", "-c", "n=$(basename $in); cp $in /pfs/out/$n; wc -c < $in | tr -d ' ' > /pfs/out/$n.len"]}}`)
	j1 := e.lastJob("two")
	if got := counts(j1); got != "SUCCESS 3/3/0/0" {
		t.Fatalf("first job: %s %s", got, j1.Reason)
	}
	outs := func(n string) []string { return []string{"/" + n, "/" + n + ".len"} }
	want := func(states ...string) []datumRow {
		var rows []datumRow
		for i := 0; i < len(states); i += 2 {
			rows = append(rows, datumRow{Path: "/d/" + states[i], State: states[i+1], Index: int64(i / 2), Outputs: outs(states[i])})
		}
		return rows
	}
	check := func(what, job string, wantRows []datumRow, wantFiles map[string]string) {
		t.Helper()
		got := e.datums("two", job, "")
		for i := range got {
			got[i].Commit = ""
		}
		if diff := cmp.Diff(wantRows, got); diff != "" {
			t.Errorf("%s: datums (-want +got):\n%s", what, diff)
		}
		if wantFiles != nil {
			if diff := cmp.Diff(wantFiles, e.files("two@"+job)); diff != "" {
				t.Errorf("%s: outputs (-want +got):\n%s", what, diff)
			}
		}
	}
	all := map[string]string{"/a": "1", "/a.len": "1\n", "/b": "22", "/b.len": "2\n", "/c": "333", "/c.len": "3\n"}
	check("first job", j1.ID, want("a", "SUCCESS", "b", "SUCCESS", "c", "SUCCESS"), all)

	// A commit outside the glob: everything is skipped, twice.
	j2 := e.job("two", e.put("in", "/x", "1"))
	j3 := e.job("two", e.put("in", "/x", "2"))
	for _, j := range []tusk.JobInfo{j2, j3} {
		if got := counts(j); got != "SUCCESS 3/0/3/0" {
			t.Errorf("skip-only job: %s", got)
		}
		check("skip-only job", j.ID, want("a", "SKIPPED", "b", "SKIPPED", "c", "SKIPPED"), all)
	}
	// A skipped datum names the job's input commit, not the one it ran on.
	if d, err := e.c.InspectDatum(e.ctx, "two", j3.ID, e.datumID("two", j1.ID, "/d/b")); err != nil ||
		d.State != tusk.DatumSkipped || d.Job != j3.ID || d.Inputs[0].Commit != j3.ID || d.Index != 1 || !cmp.Equal(d.Outputs, outs("b")) {
		t.Errorf("inspect a skipped datum: %+v, %v", d, err)
	}

	// b changes: it alone runs, its old outputs are replaced.
	j4 := e.job("two", e.put("in", "/d/b", "4444"))
	if got := counts(j4); got != "SUCCESS 3/1/2/0" {
		t.Errorf("one change: %s", got)
	}
	all["/b"], all["/b.len"] = "4444", "4\n"
	check("one change", j4.ID, want("a", "SKIPPED", "b", "SUCCESS", "c", "SKIPPED"), all)
	if got := e.datums("two", j4.ID, tusk.DatumSkipped); len(got) != 2 || got[0].Index != 0 || got[1].Index != 2 {
		t.Errorf("skipped datums of the change: %+v", got)
	}
	page := e.page("two", j4.ID, 1, 1)
	if len(page) != 1 || page[0].Index != 1 || page[0].State != tusk.DatumSuccess {
		t.Errorf("page 2 of size 1: %+v", page)
	}

	// Another skip-only job, then a deleted input: exactly a's outputs go.
	e.job("two", e.put("in", "/x", "3"))
	j6 := e.job("two", e.put("in", "/d/a", "<delete>"))
	if got := counts(j6); got != "SUCCESS 2/0/2/0" {
		t.Errorf("deleted input: %s", got)
	}
	delete(all, "/a")
	delete(all, "/a.len")
	rows := want("b", "SKIPPED", "c", "SKIPPED")
	check("deleted input", j6.ID, rows, all)

	// Added and deleted in one commit.
	j7 := e.job("two", e.put("in", "/d/0", "0", "/d/c", "<delete>"))
	if got := counts(j7); got != "SUCCESS 2/1/1/0" {
		t.Errorf("added and deleted: %s", got)
	}
	delete(all, "/c")
	delete(all, "/c.len")
	all["/0"], all["/0.len"] = "0", "1\n"
	check("added and deleted", j7.ID, want("0", "SUCCESS", "b", "SKIPPED"), all)

	// The earlier jobs still list what they had.
	check("first job, later", j1.ID, want("a", "SUCCESS", "b", "SUCCESS", "c", "SUCCESS"), nil)
	check("one change, later", j4.ID, want("a", "SKIPPED", "b", "SUCCESS", "c", "SKIPPED"), nil)
	check("deleted input, later", j6.ID, rows, nil)
	if _, err := e.c.InspectDatum(e.ctx, "two", j6.ID, e.datumID("two", j1.ID, "/d/a")); tusk.KindOf(err) != tusk.KindNotFound {
		t.Errorf("inspect a removed datum: %v, want not found", err)
	}
}

// datumID returns the ID of the datum over path in a job.
func (e *env) datumID(pipeline, job, path string) string {
	e.t.Helper()
	id := ""
	e.c.ListDatums(e.ctx, pipeline, job, "", func(d tusk.DatumInfo) error {
		if d.Inputs[0].Path == path {
			id = d.ID
		}
		return nil
	})
	if id == "" {
		e.t.Fatalf("no datum over %s in %s@%s", path, pipeline, job)
	}
	return id
}

// page lists one page of a job's datums.
func (e *env) page(pipeline, job string, offset, limit int) []tusk.DatumInfo {
	e.t.Helper()
	var out []tusk.DatumInfo
	err := e.c.ListDatumsPage(e.ctx, pipeline, job, "", offset, limit, func(d tusk.DatumInfo) error {
		out = append(out, d)
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func TestFailedJobIsNotTheBase(t *testing.T) { failedJobIsNotTheBase(t, newEnv(t)) }

func TestFailedJobIsNotTheBasePostgres(t *testing.T) { failedJobIsNotTheBase(t, newPostgresEnv(t)) }

// A failed job does not become the base: the next one runs what it
// failed, skips what the last successful job did, and lists the datums it
// skipped, as the failed job does.
func failedJobIsNotTheBase(t *testing.T, e *env) {
	e.repo("in")
	e.put("in", "/a", "ok a", "/b", "ok b", "/c", "ok c")
	e.pipeline(`{"pipeline": {"name": "picky"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"cmd": ["sh", "-c", "grep -q ok $in && cp $in /pfs/out/"]}, "datum_tries": 1}`)
	if j := e.lastJob("picky"); j.State != tusk.JobSuccess {
		t.Fatalf("first job: %s %s", j.State, j.Reason)
	}
	failed := e.job("picky", e.put("in", "/b", "bad"))
	if got := counts(failed); got != "FAILURE 3/0/2/1" {
		t.Errorf("failed job: %s", got)
	}
	states := func(job string) []string {
		var out []string
		for _, d := range e.datums("picky", job, "") {
			out = append(out, d.Path+" "+d.State)
		}
		return out
	}
	if got, want := states(failed.ID), []string{"/a SKIPPED", "/b FAILED", "/c SKIPPED"}; !cmp.Equal(got, want) {
		t.Errorf("datums of the failed job = %v, want %v", got, want)
	}
	if p := e.page("picky", failed.ID, 1, 1); len(p) != 1 || p[0].Inputs[0].Path != "/b" || p[0].Index != 1 || p[0].State != tusk.DatumFailed {
		t.Errorf("page 2 of size 1 of the failed job: %+v", p)
	}
	c, err := e.c.InspectDatum(e.ctx, "picky", failed.ID, e.datumID("picky", failed.ID, "/c"))
	if err != nil || c.State != tusk.DatumSkipped || c.Index != 2 || c.Job != failed.ID || !cmp.Equal(c.Outputs, []string{"/c"}) {
		t.Errorf("inspect a datum the failed job skipped: %+v, %v", c, err)
	}
	fixed := e.job("picky", e.put("in", "/b", "ok again", "/c", "<delete>"))
	if got := counts(fixed); got != "SUCCESS 2/1/1/0" {
		t.Errorf("job after the failure: %s", got)
	}
	if got, want := e.files("picky@"+fixed.ID), map[string]string{"/a": "ok a", "/b": "ok again"}; !cmp.Equal(got, want) {
		t.Errorf("outputs after the failure = %v, want %v", got, want)
	}
	if got, want := states(failed.ID), []string{"/a SKIPPED", "/b FAILED", "/c SKIPPED"}; !cmp.Equal(got, want) {
		t.Errorf("datums of the failed job, later = %v, want %v", got, want)
	}
}

// A changed datum that writes a path a skipped datum wrote fails the job
// with both datums named, as when every datum runs.
func TestChangedDatumClashesWithSkippedOne(t *testing.T) {
	e := newEnv(t)
	e.repo("in")
	e.put("in", "/a", "x", "/b", "y")
	e.pipeline(`{"pipeline": {"name": "named"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"cmd": ["sh", "-c", "echo $in > /pfs/out/$(cat $in)"]}}`)
	if j := e.lastJob("named"); j.State != tusk.JobSuccess {
		t.Fatalf("first job: %s %s", j.State, j.Reason)
	}
	j := e.job("named", e.put("in", "/b", "x"))
	ids := []string{e.datumID("named", j.ID, "/a"), e.datumID("named", j.ID, "/b")}
	if j.State != tusk.JobFailure || !strings.Contains(j.Reason, "/x") || !strings.Contains(j.Reason, ids[0]) || !strings.Contains(j.Reason, ids[1]) {
		t.Errorf("clash with a skipped datum: %s: %s", j.State, j.Reason)
	}
	// Fixing it makes a job from the last successful one.
	j = e.job("named", e.put("in", "/b", "z"))
	if got, want := e.files("named@"+j.ID), map[string]string{"/x": "/pfs/in/a\n", "/z": "/pfs/in/b\n"}; j.State != tusk.JobSuccess || !cmp.Equal(got, want) {
		t.Errorf("after the fix: %s %s, outputs %v", j.State, j.Reason, got)
	}
}

// Datums of a cross skip and run again as their files change, and are
// listed in the cross's order; a recovered datum runs again in the next
// job though nothing changed.
func TestCrossAndRecoveredDatumsAcrossJobs(t *testing.T) {
	e := newEnv(t)
	e.repo("left")
	e.repo("right")
	e.put("left", "/l1", "a", "/l2", "b")
	e.put("right", "/r1", "c", "/r2", "d", "/r3", "bad")
	e.pipeline(`{"pipeline": {"name": "pairs"},
		"input": {"cross": [{"pfs": {"repo": "left", "glob": "/*"}}, {"pfs": {"repo": "right", "glob": "/*"}}]},
		"transform": {"cmd": ["sh", "-c", "! grep -q bad $right && cat $left $right > /pfs/out/$(basename $left)$(basename $right)"],
		"err_cmd": ["true"]}}`)
	j := e.lastJob("pairs")
	if j.State != tusk.JobSuccess || j.DataTotal != 6 || j.DataProcessed != 4 || j.DataRecovered != 2 {
		t.Fatalf("first job: %s", counts(j))
	}
	j = e.job("pairs", e.put("left", "/l2", "B"))
	if got := counts(j); got != "SUCCESS 6/2/2/0" || j.DataRecovered != 2 {
		t.Errorf("one left file changed: %s, %d recovered", got, j.DataRecovered)
	}
	var got []string
	e.c.ListDatums(e.ctx, "pairs", j.ID, "", func(d tusk.DatumInfo) error {
		got = append(got, d.Inputs[0].Path+d.Inputs[1].Path+" "+d.State)
		return nil
	})
	want := []string{"/l1/r1 SKIPPED", "/l1/r2 SKIPPED", "/l1/r3 RECOVERED", "/l2/r1 SUCCESS", "/l2/r2 SUCCESS", "/l2/r3 RECOVERED"}
	if !cmp.Equal(got, want) {
		t.Errorf("datums = %v, want %v", got, want)
	}
	if got, want := e.files("pairs@"+j.ID), map[string]string{"/l1r1": "ac", "/l1r2": "ad", "/l2r1": "Bc", "/l2r2": "Bd"}; !cmp.Equal(got, want) {
		t.Errorf("outputs = %v, want %v", got, want)
	}
}

// An update that puts the input in a union, after a new child, keeps the
// results of the datums it still has (their IDs and hashes are the same),
// lists them in the union's order, and runs only the new child's.
func TestUpdateThatReshapesTheInput(t *testing.T) {
	e := newEnv(t)
	e.repo("in")
	e.repo("more")
	e.put("in", "/b", "2", "/a", "1")
	e.put("more", "/0", "0")
	spec := `{"pipeline": {"name": "copy"}, "input": %s, "transform": {"cmd": ["sh", "-c", "cp $in /pfs/out/$(basename $in)"]}}`
	e.pipeline(fmt.Sprintf(spec, `{"pfs": {"repo": "in", "glob": "/*"}}`))
	if j := e.lastJob("copy"); j.State != tusk.JobSuccess || j.DataProcessed != 2 {
		t.Fatalf("first job: %s", counts(j))
	}
	union := `{"union": [{"pfs": {"name": "in", "repo": "more", "glob": "/*"}}, {"pfs": {"repo": "in", "glob": "/*"}}]}`
	if _, err := e.c.CreatePipeline(e.ctx, []byte(fmt.Sprintf(spec, union)), true, false, false); err != nil {
		t.Fatal(err)
	}
	j := e.lastJob("copy")
	if got := counts(j); got != "SUCCESS 3/1/2/0" {
		t.Errorf("job after the update: %s %s", got, j.Reason)
	}
	var got []string
	e.c.ListDatums(e.ctx, "copy", j.ID, "", func(d tusk.DatumInfo) error {
		got = append(got, fmt.Sprintf("%s:%s %s %v", d.Inputs[0].Repo, d.Inputs[0].Path, d.State, d.Outputs))
		return nil
	})
	if want := []string{"more:/0 SUCCESS [/0]", "in:/a SKIPPED [/a]", "in:/b SKIPPED [/b]"}; !cmp.Equal(got, want) {
		t.Errorf("datums after the update = %v, want %v", got, want)
	}
	if got, want := e.files("copy@"+j.ID), map[string]string{"/a": "1", "/b": "2", "/0": "0"}; !cmp.Equal(got, want) {
		t.Errorf("outputs after the update = %v, want %v", got, want)
	}
	j = e.job("copy", e.put("more", "/0", "<delete>"))
	if got, want := e.files("copy@"+j.ID), map[string]string{"/a": "1", "/b": "2"}; j.State != tusk.JobSuccess || !cmp.Equal(got, want) {
		t.Errorf("after deleting the new child's file: %s, outputs %v", counts(j), got)
	}
}

// A job whose base read an input commit that was deleted since (and
// whose output commit went with it) runs every datum again, and the
// pipeline goes on.
func TestBaseInputCommitDeleted(t *testing.T) {
	e := newEnv(t)
	e.repo("in")
	e.put("in", "/a", "a1", "/b", "b1")
	e.pipeline(`{"pipeline": {"name": "copy"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"cmd": ["sh", "-c", "cp $in /pfs/out/"]}}`)
	if got := counts(e.lastJob("copy")); got != "SUCCESS 2/2/0/0" {
		t.Fatalf("first job: %s", got)
	}
	c2 := e.put("in", "/b", "b2")
	if got := counts(e.job("copy", c2)); got != "SUCCESS 2/1/1/0" {
		t.Fatalf("second job: %s", got)
	}
	if _, err := e.c.DeleteCommit(e.ctx, "in@"+c2.ID); err != nil {
		t.Fatal(err)
	}
	// Deleting in@c2 also deleted copy@c2, the output of the last
	// successful job: the next job lends nothing from it and runs all.
	j3 := e.job("copy", e.put("in", "/c", "c1"))
	if got := counts(j3); got != "SUCCESS 3/3/0/0" {
		t.Fatalf("job after the base's commits were deleted: %s %s", got, j3.Reason)
	}
	if got, want := e.files("copy@"+j3.ID), map[string]string{"/a": "a1", "/b": "b1", "/c": "c1"}; !cmp.Equal(got, want) {
		t.Errorf("outputs = %v, want %v", got, want)
	}
}
