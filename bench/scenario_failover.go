package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
)

var failoverScenario = scenario{
	name:  "failover",
	title: "several servers on one PostgreSQL",
	note: "`tusk up` processes of the worker binary (process runner) on a fresh PostgreSQL database each run " +
		"(`-postgres DSN`, default $TUSK_TEST_POSTGRES; dropped afterwards) and one object store directory they share. " +
		"The first server started leads; the second follows. Through the follower: a repo of 200 × scale one-file " +
		"datums and a pipeline over it (glob `/*`, parallelism 2) whose command appends a line to a file named after " +
		"its datum in a directory outside /pfs (so the bench counts each datum's executions), sleeps 0.1 s and copies " +
		"its file to the output; then one commit of the files. Failover: once a quarter of the datums are done the " +
		"leader gets SIGKILL; the time runs from the kill to the first datum whose record says it started after it " +
		"(on a worker of the new leader, which first has to lead, start workers and give back the dead leader's " +
		"datums); the job must then succeed, seen through the survivor, with each input's output once. Two servers: " +
		"the same without a kill, timed from the commit's return to WaitCommit's on the follower (whose WaitJob must " +
		"then say the job succeeded), each datum run exactly once, beside the same job on one server alone. " +
		"Figures are medians over -rounds rounds.",
	run: runFailover,
}

// failoverPause is how long each datum's command sleeps, in seconds.
const failoverPause = "0.1"

// failoverParallelism is the pipeline's number of workers.
const failoverParallelism = 2

func runFailover(ctx context.Context, b *bench) ([]row, error) {
	if b.cfg.postgres == "" {
		return nil, errors.New("needs PostgreSQL: give -postgres DSN or set TUSK_TEST_POSTGRES")
	}
	bin, err := b.workerBinary(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := b.scratch("failover")
	if err != nil {
		return nil, err
	}
	n := b.count(200)
	var gap, led, two, one samples
	var executions []float64 // of the failover runs
	var served servedRun     // the runs of two servers, summed
	for round := 1; round <= b.cfg.rounds; round++ {
		on := func(name string, f func(context.Context, *cluster) error) error {
			b.log.Info("failover", "run", name, "round", round, "datums", n)
			return onCluster(ctx, b, bin, filepath.Join(dir, fmt.Sprintf("%s-%d", name, round)), f)
		}
		if gap.ok() {
			var r failoverRun
			err := on("failover", func(ctx context.Context, c *cluster) (err error) {
				r, err = c.failover(ctx, n)
				return err
			})
			gap.add(r.gap, err)
			led.add(r.led, err)
			if err == nil {
				executions = append(executions, float64(r.executions))
			}
		}
		if two.ok() && one.ok() {
			var r servedRun
			err := on("two", func(ctx context.Context, c *cluster) (err error) {
				r, err = c.twoServers(ctx, n)
				return err
			})
			two.add(r.wall, err)
			if err == nil {
				served.add(r)
			}
			var d time.Duration
			err = on("one", func(ctx context.Context, c *cluster) (err error) {
				d, err = c.oneServer(ctx, n)
				return err
			})
			one.add(d, err)
		}
	}
	return []row{failoverRow(n, &gap, &led, executions), twoServersRow(n, &two, &one, served)}, nil
}

// failoverRow is the row of the runs with a leader killed.
func failoverRow(n int, gap, led *samples, executions []float64) row {
	r := row{
		scenario: fmt.Sprintf("leader failover: SIGKILL of the leader mid-job, %s datums of `sleep %s`, parallelism %d (2 tusk up, process runner)",
			countLabel(n), failoverPause, failoverParallelism),
		baseline: "-",
		ratio:    "-",
		target:   "≤ 5 s from the kill to the next datum started; the job succeeds with each output once",
	}
	if gap.err != nil {
		r.tusk, r.result = "error: "+gap.err.Error(), "error"
		return r
	}
	r.tusk = fmt.Sprintf("%s from the kill to the next datum started (the other server led after %s%s); "+
		"each job succeeded with each output once, its datums executed %.0f times for %d (the dead leader's unfinished ones again)",
		secs(gap.median()), secs(led.median()), semi(timeSpread(gap)), medianOf(executions), n)
	r.result = verdict(gap.median() <= 5*time.Second)
	return r
}

// twoServersRow is the row of the runs of two servers beside one.
func twoServersRow(n int, two, one *samples, served servedRun) row {
	r := row{
		scenario: fmt.Sprintf("two servers: pipeline created through the follower, %s datums of `sleep %s`, parallelism %d (process runner)",
			countLabel(n), failoverPause, failoverParallelism),
		baseline: "-",
		ratio:    "-",
		target:   "1.00 executions/datum",
	}
	if two.err != nil {
		r.tusk, r.result = "error: "+two.err.Error(), "error"
		return r
	}
	r.tusk = fmt.Sprintf("%.2f executions/datum (%d for %d; %d datums not run exactly once); the follower's WaitJob saw each job succeed, "+
		"%s from the commit to WaitCommit on the follower%s", float64(served.executions)/float64(served.datums),
		served.executions, served.datums, served.notOnce, secs(two.median()), paren(timeSpread(two)))
	r.result = verdict(served.notOnce == 0)
	if one.err != nil {
		r.baseline = "one server: error: " + one.err.Error()
		return r
	}
	r.baseline = fmt.Sprintf("one server: %s%s", secs(one.median()), paren(timeSpread(one)))
	r.ratio = ratio(float64(two.median()), float64(one.median())) + " of one server"
	return r
}

// timeSpread is "median of N, lo–hi" over the rounds of s, or empty for
// a single round.
func timeSpread(s *samples) string {
	if len(s.times) < 2 {
		return ""
	}
	return fmt.Sprintf("median of %d, %s–%s", len(s.times), secs(slices.Min(s.times)), secs(slices.Max(s.times)))
}

// cluster is tusk up processes on one fresh PostgreSQL database and one
// object store directory, with a directory where the counting pipeline's
// datums record their executions.
type cluster struct {
	bin, dir, dsn string
	runs          string
	servers       []*upServer
}

// onCluster runs f on a new cluster in dir, then stops the cluster's
// servers that still run and drops its database.
func onCluster(ctx context.Context, b *bench, bin, dir string, f func(context.Context, *cluster) error) error {
	if err := os.MkdirAll(filepath.Join(dir, "objects"), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	// The workers run as another user (nobody), who cannot reach into
	// the bench's private work directory: the executions go to an open
	// directory of their own.
	runs, err := os.MkdirTemp("", "tusk-bench-runs-")
	if err != nil {
		return fmt.Errorf("directory of executions: %w", err)
	}
	defer os.RemoveAll(runs)
	if err := os.Chmod(runs, os.ModeSticky|0o777); err != nil {
		return fmt.Errorf("directory of executions: %w", err)
	}
	name := strings.ReplaceAll(filepath.Base(dir), "-", "_")
	dsn, drop, err := freshDatabase(ctx, b.cfg.postgres, fmt.Sprintf("tusk_bench_failover_%d_%s", os.Getpid(), name))
	if err != nil {
		return err
	}
	defer drop()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	c := &cluster{bin: bin, dir: dir, dsn: dsn, runs: runs}
	err = f(ctx, c)
	for _, s := range c.servers {
		if serr := s.stop(); err == nil {
			err = serr
		}
	}
	return err
}

// start starts one more server of the cluster, with the process runner.
func (c *cluster) start(ctx context.Context) (*upServer, error) {
	s, err := startUp(ctx, c.bin, filepath.Join(c.dir, fmt.Sprintf("server-%d", len(c.servers)+1)),
		"--runner", "process", "--metadata", c.dsn, "--storage", filepath.Join(c.dir, "objects"))
	if err != nil {
		return nil, err
	}
	c.servers = append(c.servers, s)
	return s, nil
}

// leader starts a server and waits until it leads.
func (c *cluster) leader(ctx context.Context) (*upServer, error) {
	s, err := c.start(ctx)
	if err != nil {
		return nil, err
	}
	if err := poll(ctx, 30*time.Second, "the first server leads", func() bool { return s.leads(ctx) }); err != nil {
		return nil, err
	}
	return s, nil
}

// pair starts a server that leads, then another that follows.
func (c *cluster) pair(ctx context.Context) (leader, follower *upServer, err error) {
	if leader, err = c.leader(ctx); err != nil {
		return nil, nil, err
	}
	if follower, err = c.start(ctx); err != nil {
		return nil, nil, err
	}
	if follower.leads(ctx) {
		return nil, nil, errors.New("both servers lead")
	}
	return leader, follower, nil
}

// pipeline creates the repo "in" and the pipeline "copy" over its files
// through cl: each datum appends a line to the file named after it in
// c.runs, sleeps and copies its file to the output.
func (c *cluster) pipeline(ctx context.Context, cl *client.Client) error {
	if _, err := cl.CreateRepo(ctx, "in", ""); err != nil {
		return fmt.Errorf("create repo in: %w", err)
	}
	return createPipeline(ctx, cl, "copy", "in", "/*", busybox, failoverParallelism, "sh", "-c",
		fmt.Sprintf("echo >> %s/${in##*/}; sleep %s; cp $in /pfs/out/", c.runs, failoverPause))
}

// inputPath is the path of the i-th input file.
func inputPath(i int) string { return fmt.Sprintf("/f%05d", i) }

// putInputs puts n input files into an upload.
func putInputs(n int) func(*client.Upload) error {
	return func(up *client.Upload) error {
		for i := range n {
			if err := up.PutFile(inputPath(i), strings.NewReader(fmt.Sprintf("datum %d\n", i)), false); err != nil {
				return err
			}
		}
		return nil
	}
}

// executions counts the lines the datums' commands appended in c.runs, by
// input path.
func (c *cluster) executions() (map[string]int, error) {
	entries, err := os.ReadDir(c.runs)
	if err != nil {
		return nil, fmt.Errorf("count executions: %w", err)
	}
	out := map[string]int{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(c.runs, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("count executions: %w", err)
		}
		out["/"+e.Name()] = strings.Count(string(data), "\n")
	}
	return out, nil
}

// checkOutputs fails unless the output commit of job id holds each of the
// n inputs' files once.
func checkOutputs(ctx context.Context, cl *client.Client, id string, n int) error {
	var paths []string
	err := cl.WalkFiles(ctx, "copy@"+id, func(fi tusk.FileInfo) error {
		paths = append(paths, fi.Path)
		return nil
	})
	if err != nil {
		return fmt.Errorf("walk the output of job %s: %w", id, err)
	}
	slices.Sort(paths)
	if len(paths) != n {
		return fmt.Errorf("the output of job %s holds %d files, want %d", id, len(paths), n)
	}
	for i, p := range paths {
		if p != inputPath(i) {
			return fmt.Errorf("the output of job %s: file %d is %s, want %s", id, i, p, inputPath(i))
		}
	}
	return nil
}

// checkJob fails unless job r of the pipeline "copy" processed n datums
// and its output commit holds each input's file once.
func checkJob(ctx context.Context, cl *client.Client, r jobRun, n int) error {
	if r.processed != int64(n) {
		return fmt.Errorf("job %s processed %d datums, want %d", r.id, r.processed, n)
	}
	return checkOutputs(ctx, cl, r.id, n)
}

// failoverRun is one run with the leader killed: the time from the kill
// to the next datum started and to the other server leading, and how
// many times the datums ran in all.
type failoverRun struct {
	gap, led   time.Duration
	executions int
}

// failover creates the pipeline and its job through the follower of a
// pair, kills the leader with SIGKILL once a quarter of the n datums are
// done, and times the takeover from the datums' records.
func (c *cluster) failover(ctx context.Context, n int) (failoverRun, error) {
	var r failoverRun
	leader, follower, err := c.pair(ctx)
	if err != nil {
		return r, err
	}
	cl := follower.client
	if err := c.pipeline(ctx, cl); err != nil {
		return r, err
	}
	up, err := cl.NewUpload(ctx)
	if err != nil {
		return r, fmt.Errorf("new upload: %w", err)
	}
	if err := putInputs(n)(up); err != nil {
		up.Abort()
		return r, err
	}
	commit, err := up.Commit("in@master")
	if err != nil {
		return r, fmt.Errorf("commit to in: %w", err)
	}
	id := commit.ID
	quarter := int64(max(1, n/4))
	err = poll(ctx, 5*time.Minute, "a quarter of the datums done", func() bool {
		j, err := cl.InspectJob(ctx, "copy", id)
		return err == nil && j.DataProcessed >= quarter
	})
	if err != nil {
		return r, err
	}
	killed := time.Now()
	leader.kill()
	if err := poll(ctx, time.Minute, "the follower leads", func() bool { return follower.leads(ctx) }); err != nil {
		return r, err
	}
	r.led = time.Since(killed)
	job, err := waitJob(ctx, cl, "copy", id)
	if err == nil {
		err = checkJob(ctx, cl, job, n)
	}
	if err != nil {
		return r, err
	}
	var next *time.Time
	err = cl.ListDatums(ctx, "copy", id, "", func(d tusk.DatumInfo) error {
		if d.Started != nil && d.Started.After(killed) && (next == nil || d.Started.Before(*next)) {
			next = d.Started
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("list the datums of job %s: %w", id, err)
	}
	if next == nil {
		return r, fmt.Errorf("no datum of job %s started after the kill", id)
	}
	r.gap = next.Sub(killed)
	runs, err := c.executions()
	if err != nil {
		return r, err
	}
	for i := range n {
		if runs[inputPath(i)] == 0 {
			return r, fmt.Errorf("datum %s never ran", inputPath(i))
		}
		r.executions += runs[inputPath(i)]
	}
	return r, nil
}

// servedRun is what runs of two servers without a kill found: how many
// datums there were, how many times they ran, and how many of them did
// not run exactly once.
type servedRun struct {
	wall                        time.Duration
	datums, executions, notOnce int
}

func (s *servedRun) add(r servedRun) {
	s.datums += r.datums
	s.executions += r.executions
	s.notOnce += r.notOnce
}

// twoServers times the job of the pipeline created through the follower
// of a pair and counts its datums' executions.
func (c *cluster) twoServers(ctx context.Context, n int) (servedRun, error) {
	r := servedRun{datums: n}
	_, follower, err := c.pair(ctx)
	if err != nil {
		return r, err
	}
	if r.wall, err = c.timedJob(ctx, follower.client, n); err != nil {
		return r, err
	}
	runs, err := c.executions()
	if err != nil {
		return r, err
	}
	for i := range n {
		k := runs[inputPath(i)]
		r.executions += k
		if k != 1 {
			r.notOnce++
		}
	}
	return r, nil
}

// oneServer times the same job on a server alone.
func (c *cluster) oneServer(ctx context.Context, n int) (time.Duration, error) {
	s, err := c.leader(ctx)
	if err != nil {
		return 0, err
	}
	return c.timedJob(ctx, s.client, n)
}

// timedJob creates the pipeline through cl, commits the n inputs and
// returns the time from the commit's return to WaitCommit's; the job must
// succeed with each output once.
func (c *cluster) timedJob(ctx context.Context, cl *client.Client, n int) (time.Duration, error) {
	if err := c.pipeline(ctx, cl); err != nil {
		return 0, err
	}
	r, err := commitAndWait(ctx, cl, "in", "copy", putInputs(n))
	if err != nil {
		return 0, err
	}
	return r.wall, checkJob(ctx, cl, r, n)
}
