package cli

import (
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/pachapi"
	"github.com/tuskdata/tusk/internal/tusk"
)

// TestE2EDryRunDatums checks that create and update pipeline --dry-run
// say how many datums the next job would run and skip, and why, and
// that the job then does what they said.
func TestE2EDryRunDatums(t *testing.T) {
	e := startServer(t, processRunner...)
	e.run("create", "repo", "words")
	e.runIn(strings.NewReader("one two three\n"), "put", "file", "words@master:/a.txt")
	e.runIn(strings.NewReader("four five\n"), "put", "file", "words@master:/b.txt")
	wc, wcBytes := e.writeFile("wc.json", []byte(wcSpec)), e.writeFile("wcbytes.json", []byte(wcBytesSpec))

	wantContains(t, "create pipeline --dry-run", e.run("create", "pipeline", "-f", wc, "--dry-run"),
		"2 datums over the inputs' heads: 2 would run, 0 would be skipped", "2 run   the pipeline is new")
	e.run("create", "pipeline", "-f", wc)
	first := e.headJob("wc")
	e.waitJobs(first)

	// While wc is stopped, a.txt changes and c.txt is new; b.txt stays.
	e.run("stop", "pipeline", "wc")
	e.runIn(strings.NewReader("one two\n"), "put", "file", "words@master:/a.txt")
	e.runIn(strings.NewReader("six\n"), "put", "file", "words@master:/c.txt")
	wantContains(t, "update pipeline --dry-run", e.run("update", "pipeline", "-f", wcBytes, "--dry-run"),
		"pipeline wc would be updated, skipping datums already processed",
		"3 datums over the inputs' heads: 2 would run, 1 would be skipped",
		"1 run   changed: its input files differ from job "+first+"'s",
		"1 run   new: job "+first+" had no such datum",
		"1 skip  unchanged since job "+first)
	// Pachyderm's DatumState has no QUEUED: a datum that would run is STARTING.
	want := map[string]string{"/a.txt": tusk.DatumStarting, "/b.txt": tusk.DatumSkipped, "/c.txt": tusk.DatumStarting}
	for _, d := range lines[pachapi.DatumInfo](e, "list", "datum", "-f", wcBytes) {
		if len(d.Data) != 1 || want[d.Data[0].File.Path] != d.State {
			t.Errorf("list datum -f: %+v, want the states %v", d, want)
		}
	}
	wantContains(t, "update pipeline --dry-run --reprocess", e.run("update", "pipeline", "-f", wcBytes, "--dry-run", "--reprocess"),
		"3 datums over the inputs' heads: 3 would run, 0 would be skipped", "3 run   --reprocess: every datum runs again")
	if p := object[pachapi.PipelineInfo](e, "inspect", "pipeline", "wc"); p.Version != 1 {
		t.Fatalf("after dry runs, wc is at version %d, want 1", p.Version)
	}

	// The job does what the dry run said.
	e.run("update", "pipeline", "-f", wcBytes)
	e.run("start", "pipeline", "wc")
	next := e.headJob("wc")
	e.waitJobs(next)
	j := object[pachapi.JobInfo](e, "inspect", "job", "wc@"+next)
	if j.State != "JOB_SUCCESS" || j.DataTotal != 3 || j.DataProcessed != 2 || j.DataSkipped != 1 {
		t.Errorf("the job after the update: %s, %d total, %d processed, %d skipped; the dry run said 3 total, 2 run, 1 skipped",
			j.State, j.DataTotal, j.DataProcessed, j.DataSkipped)
	}
	wantContains(t, "update pipeline --dry-run, all done", e.run("update", "pipeline", "-f", wcBytes, "--dry-run"),
		"3 datums over the inputs' heads: 0 would run, 3 would be skipped", "3 skip  unchanged since job "+next)
}
