package pps_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/server"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
	"github.com/tuskdata/tusk/internal/tusktest"
)

// Several servers share one PostgreSQL database and one object store (a
// directory both reach). Each datum's command appends a line to a file
// of its own outside /pfs, so the test counts how often each ran.

// countingSpec is a pipeline over in's files that counts each datum's
// runs in count and copies its file, after pause.
func countingSpec(name, count, pause string, parallelism, set int) string {
	return fmt.Sprintf(`{"pipeline": {"name": %q}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"parallelism_spec": {"constant": %d}, "datum_set_spec": {"number": %d},
		"transform": {"cmd": ["sh", "-c", "echo >> %s/$(basename $in); sleep %s; cp $in /pfs/out/"]}}`,
		name, parallelism, set, count, pause)
}

// putInputs commits n files to in@master through c.
func putInputs(t *testing.T, ctx context.Context, c *client.Client, n int) {
	t.Helper()
	if _, err := c.CreateRepo(ctx, "in", ""); err != nil {
		t.Fatal(err)
	}
	up, err := c.NewUpload(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := up.PutFile(fmt.Sprintf("/f%02d", i), strings.NewReader(fmt.Sprintf("content %d", i)), false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := up.Commit("in@master"); err != nil {
		t.Fatal(err)
	}
}

// leads reports whether the server of c runs the scheduler.
func leads(ctx context.Context, c *client.Client) bool {
	info, err := c.Info(ctx)
	return err == nil && info.Leader
}

// checkOutput fails t unless the commit holds each of in's n files once,
// with its content.
func checkOutput(t *testing.T, ctx context.Context, c *client.Client, ref string, n int) {
	t.Helper()
	var paths []string
	err := c.WalkFiles(ctx, ref, func(fi tusk.FileInfo) error {
		paths = append(paths, fi.Path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != n {
		t.Fatalf("output %s holds %d files, want %d: %v", ref, len(paths), n, paths)
	}
	for i := range n {
		if want := fmt.Sprintf("/f%02d", i); paths[i] != want {
			t.Fatalf("output %s: file %d is %s, want %s", ref, i, paths[i], want)
		}
	}
}

// TestPipelineOnFollowerRunsOnceOnLeader runs two servers in this
// process on one PostgreSQL database and one object store. A pipeline
// made through the one that does not lead runs on the leader at once,
// each datum exactly once, and both servers see its job: in lists, in
// WaitJob and in the stream of job events.
func TestPipelineOnFollowerRunsOnceOnLeader(t *testing.T) {
	dsn := testenv.PostgresDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	objects := t.TempDir()
	cfg := func() server.Config {
		return server.Config{DataDir: t.TempDir(), Metadata: dsn, Storage: objects, Runner: "process", WorkerBinary: tuskBin}
	}
	_, leader, _ := tusktest.StartServer(t, cfg())
	testenv.Eventually(t, 30*time.Second, "the first server leads", func() bool { return leads(ctx, leader) })
	_, follower, _ := tusktest.StartServer(t, cfg())
	if leads(ctx, follower) {
		t.Fatal("both servers lead")
	}

	// The follower streams job events from the start.
	events := make(chan tusk.JobEvent, 256)
	go follower.SubscribeJobs(ctx, func(ev tusk.JobEvent) error {
		events <- ev
		return nil
	})
	if ev := <-events; ev.Type != "subscribed" {
		t.Fatalf("first job event = %+v, want subscribed", ev)
	}

	const n = 20
	count := testenv.OpenDir(t, os.ModeSticky|0o777)
	putInputs(t, ctx, follower, n)
	if _, err := follower.CreatePipeline(ctx, []byte(countingSpec("copy", count, "0", 2, 2)), false, false, false); err != nil {
		t.Fatal(err)
	}
	var jobs []tusk.JobInfo
	testenv.Eventually(t, 30*time.Second, "the leader lists the job made through the follower", func() bool {
		var err error
		jobs, err = leader.ListJobs(ctx, "copy", "", 1)
		return err == nil && len(jobs) == 1
	})
	done, err := follower.WaitJob(ctx, "copy", jobs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if j := done[0]; j.State != tusk.JobSuccess || j.DataProcessed != n {
		t.Fatalf("job seen from the follower = %s (%s), %d processed; want success, %d processed", j.State, j.Reason, j.DataProcessed, n)
	}
	if j, err := leader.InspectJob(ctx, "copy", jobs[0].ID); err != nil || j.State != tusk.JobSuccess {
		t.Fatalf("job seen from the leader = %+v, %v; want success", j, err)
	}
	checkOutput(t, ctx, follower, "copy@"+jobs[0].ID, n)
	got := runs(t, count)
	if len(got) != n {
		t.Errorf("%d datums ran, want %d: %v", len(got), n, got)
	}
	for name, k := range got {
		if k != 1 {
			t.Errorf("datum %s ran %d times, want once", name, k)
		}
	}
	// The follower's stream carried the job's end, which the leader
	// made.
	for ended := false; !ended; {
		select {
		case ev := <-events:
			ended = ev.Job != nil && ev.Job.ID == jobs[0].ID && ev.Job.State == tusk.JobSuccess
		case <-ctx.Done():
			t.Fatal("the follower's job events never said the job succeeded")
		}
	}
}

// TestLeaderKilledMidJob runs two servers as tusk up processes on one
// PostgreSQL database and one object store, and kills the leader with
// SIGKILL while its workers run a job. The other server takes over, gives
// back the datums the dead leader's workers held, and finishes the job
// with every datum's output once. The failover time, from the kill to
// the next datum claimed, goes to the test's log.
func TestLeaderKilledMidJob(t *testing.T) {
	dsn := testenv.PostgresDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	objects := t.TempDir()
	start := func() (*tusktest.UpProcess, *client.Client) {
		u := tusktest.StartUp(t, tuskBin, "--runner", "process", "--metadata", dsn, "--storage", objects)
		c, err := client.New(u.Addr, client.WithToken(u.Token))
		if err != nil {
			t.Fatal(err)
		}
		return u, c
	}
	first, leader := start()
	testenv.Eventually(t, 30*time.Second, "the first server leads", func() bool { return leads(ctx, leader) })
	_, follower := start()

	const n = 16
	count := testenv.OpenDir(t, os.ModeSticky|0o777)
	putInputs(t, ctx, follower, n)
	if _, err := follower.CreatePipeline(ctx, []byte(countingSpec("copy", count, "0.5", 2, 2)), false, false, false); err != nil {
		t.Fatal(err)
	}
	var job tusk.JobInfo
	testenv.Eventually(t, time.Minute, "a datum runs on the leader's workers", func() bool {
		js, err := follower.ListJobs(ctx, "copy", "", 1)
		if err != nil || len(js) == 0 {
			return false
		}
		job = js[0]
		running := 0
		follower.ListDatums(ctx, "copy", job.ID, tusk.DatumRunning, func(tusk.DatumInfo) error {
			running++
			return nil
		})
		return running > 0
	})
	// A datum whose command started after the kill ran on a worker of
	// the new leader.
	startedSince := func(t0 time.Time) bool {
		found := false
		follower.ListDatums(ctx, "copy", job.ID, "", func(d tusk.DatumInfo) error {
			found = found || d.Started != nil && d.Started.After(t0)
			return nil
		})
		return found
	}
	first.Kill()
	killed := time.Now()
	testenv.Eventually(t, time.Minute, "the other server leads", func() bool { return leads(ctx, follower) })
	led := time.Since(killed)
	testenv.Eventually(t, time.Minute, "a datum starts after the kill", func() bool { return startedSince(killed) })
	t.Logf("failover: the other server led %v after the leader was killed, and a datum started on its workers %v after the kill",
		led.Round(time.Millisecond), time.Since(killed).Round(time.Millisecond))

	done, err := follower.WaitJob(ctx, "copy", job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j := done[0]; j.State != tusk.JobSuccess || j.DataProcessed != n {
		t.Fatalf("job = %s (%s), %d processed; want success, %d processed", j.State, j.Reason, j.DataProcessed, n)
	}
	checkOutput(t, ctx, follower, "copy@"+job.ID, n)
	total := 0
	for _, k := range runs(t, count) {
		total += k
	}
	t.Logf("%d datums ran %d times in all: the dead leader's unfinished ones again", n, total)
}
