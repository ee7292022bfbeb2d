package pps_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
	"github.com/tuskdata/tusk/internal/tusktest"
)

// A server killed with SIGKILL, or stopped with SIGTERM, in the middle of
// a job, and started again on the same data, costs the job's datums none
// of their tries: with datum_tries 1 the job still succeeds, with every
// output once.
func TestServerKilledMidJobCostsNoTry(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts tusk up during a job")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	u := tusktest.StartUpOn(t, tuskBin, t.TempDir(), "--runner", "process")
	c, err := client.New(u.Addr, client.WithToken(u.Token))
	if err != nil {
		t.Fatal(err)
	}
	count := testenv.OpenDir(t, os.ModeSticky|0o777)
	if _, err := c.CreateRepo(ctx, "in", ""); err != nil {
		t.Fatal(err)
	}
	up, err := c.NewUpload(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const n = 16
	for i := range n {
		if err := up.PutFile(fmt.Sprintf("/f%02d", i), strings.NewReader(fmt.Sprintf("content %d", i)), false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := up.Commit("in@master"); err != nil {
		t.Fatal(err)
	}
	spec := fmt.Sprintf(`{"pipeline": {"name": "copy"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"parallelism_spec": {"constant": 2}, "datum_set_spec": {"number": 3}, "datum_tries": 1,
		"transform": {"cmd": ["sh", "-c", "echo >> %s/$(basename $in); sleep 0.4; cp $in /pfs/out/"]}}`, count)
	if _, err := c.CreatePipeline(ctx, []byte(spec), false, false, false); err != nil {
		t.Fatal(err)
	}
	// Kill or stop the server whenever a datum's command runs, until the
	// job ends.
	kills := 0
	var job tusk.JobInfo
	for kills < 3 && !tusk.JobDone(job.State) {
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no datum running within a minute of a start; job %+v\n%s", job, u.Logs)
			}
			js, err := c.ListJobs(ctx, "copy", "", 1)
			if err != nil || len(js) == 0 {
				continue
			}
			if job = js[0]; tusk.JobDone(job.State) {
				break
			}
			// A datum in the middle of its command: RUNNING, and its
			// command has counted its run.
			midway := false
			c.ListDatums(ctx, "copy", job.ID, tusk.DatumRunning, func(d tusk.DatumInfo) error {
				if _, err := os.Stat(filepath.Join(count, path.Base(d.Inputs[0].Path))); err == nil {
					midway = true
				}
				return nil
			})
			if midway {
				if kills%2 == 0 {
					u.Kill()
				} else {
					u.Stop()
				}
				kills++
				u.Start()
				break
			}
		}
	}
	if kills < 2 {
		t.Fatalf("the job ended after %d kills and stops; the test exercised too little", kills)
	}
	done, err := c.WaitJob(ctx, "copy", job.ID)
	if err != nil || len(done) != 1 {
		t.Fatalf("wait job: %+v, %v", done, err)
	}
	if j := done[0]; j.State != tusk.JobSuccess || j.DataProcessed != n || j.DataFailed != 0 {
		t.Fatalf("job after %d kills: %s (%s), %d processed, %d failed; want all %d processed", kills, j.State, j.Reason,
			j.DataProcessed, j.DataFailed, n)
	}
	var paths []string
	err = c.WalkFiles(ctx, "copy@master:/", func(f tusk.FileInfo) error {
		paths = append(paths, f.Path)
		return nil
	})
	if err != nil || len(paths) != n {
		t.Fatalf("outputs: %v, %v; want %d files", paths, err, n)
	}
	for i := range n {
		rc, _, err := c.GetFile(ctx, fmt.Sprintf("copy@master:/f%02d", i), 0)
		if err != nil {
			t.Fatal(err)
		}
		b := new(strings.Builder)
		_, err = io.Copy(b, rc)
		rc.Close()
		if want := fmt.Sprintf("content %d", i); err != nil || b.String() != want {
			t.Errorf("/f%02d = %q, %v; want %q", i, b.String(), err, want)
		}
	}
	reruns := 0
	for _, k := range runs(t, count) {
		if k > 1 {
			reruns++
		}
	}
	if got := len(runs(t, count)); got != n {
		t.Errorf("%d datums ran, want %d", got, n)
	}
	if reruns == 0 {
		t.Errorf("no datum ran twice after %d kills and stops in the middle of commands", kills)
	}
	t.Logf("%d kills and stops, %d datums ran more than once", kills, reruns)
}

// A server stopped with SIGTERM stops its workers while its API still
// answers them, so that the results they report on the way out (the
// datums they finished, those they give back) land instead of being
// done again after a restart.
func TestStoppedServerHearsItsWorkersLastReports(t *testing.T) {
	if testing.Short() {
		t.Skip("stops tusk up during a job")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	u := tusktest.StartUpOn(t, tuskBin, t.TempDir(), "--runner", "process")
	c, err := client.New(u.Addr, client.WithToken(u.Token))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateRepo(ctx, "in", ""); err != nil {
		t.Fatal(err)
	}
	up, err := c.NewUpload(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		if err := up.PutFile(fmt.Sprintf("/f%d", i), strings.NewReader(fmt.Sprint(i)), false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := up.Commit("in@master"); err != nil {
		t.Fatal(err)
	}
	spec := `{"pipeline": {"name": "slow"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"datum_set_spec": {"number": 6}, "transform": {"cmd": ["sh", "-c", "sleep 0.5; cp $in /pfs/out/"]}}`
	if _, err := c.CreatePipeline(ctx, []byte(spec), false, false, false); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, time.Minute, "a datum succeeds while another runs", func() bool {
		js, err := c.ListJobs(ctx, "slow", "", 1)
		if err != nil || len(js) == 0 {
			return false
		}
		states := map[string]int{}
		c.ListDatums(ctx, "slow", js[0].ID, "", func(d tusk.DatumInfo) error {
			states[d.State]++
			return nil
		})
		return states[tusk.DatumSuccess] > 0 && states[tusk.DatumRunning] > 0
	})
	u.Stop()
	if logs := u.Logs.String(); strings.Contains(logs, "report datums") {
		t.Errorf("a worker could not report to the stopping server:\n%s", logs)
	}
}
