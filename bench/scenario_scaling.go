package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/server"
)

var scalingScenario = scenario{
	name:  "scaling",
	title: "scaling over container workers",
	note: "An in-process server with the docker runner (image `tusk-test/busybox:latest`, built by `.ci/docker.sh`) " +
		"and, for each number of workers N of 1, 2, 4, 8, 16 and 32, a fresh repo and a pipeline over it (glob `/*`, " +
		"`parallelism_spec.constant` N, command `sleep 0.2`, no output). Once its N containers run, one commit of " +
		"2000 × scale (at least 256) new one-file datums, with contents no earlier pipeline saw; the time runs from " +
		"the commit's return to WaitCommit's on its commit set (datums listed, claimed, run, reported, the output " +
		"commit finished). The pipeline is then deleted, its containers removed, before the next N. N = 1 runs on an " +
		"eighth of the datums and its time is multiplied by 8 (which counts a job's fixed costs 8 times: at most a " +
		"second or so against the minutes of the whole); the ideal of one worker is datums × 0.2 s. Speedup is " +
		"T(1)/T(N), against a target of 0.8 × N (the work is sleep, so two cores do not bound it); shown beside it, " +
		"the speedup over the ideal of one worker, ideal/T(N), which a T(1) measured slow cannot flatter. The time of " +
		"a datum beyond its sleep is N × T(N) / datums − 0.2 s: its worker's time on it and its share of the job's " +
		"start and end. Also shown: the job's own Started→Finished, and how long the N containers took to run from " +
		"the pipeline's creation. One run per N, whatever -rounds says: at scale 1 the scenario takes about 10 " +
		"minutes. Without a Docker engine or the image, the row reads n/a.",
	run: runScaling,
}

// scalingWorkers are the numbers of workers the scaling scenario runs.
var scalingWorkers = []int{1, 2, 4, 8, 16, 32}

// scalingSleep is what each datum's command does.
const scalingSleep = 200 * time.Millisecond

// scalingSample is the part of the datums a single worker runs: its time
// is multiplied by it.
const scalingSample = 8

// scalingRun is one timed job of the scaling scenario.
type scalingRun struct {
	workers, datums int
	up              time.Duration // from the pipeline's creation to its containers running
	jobRun
}

// overhead is the time each datum took beyond its sleep, on its worker
// and its share of the job's fixed costs.
func (r scalingRun) overhead() time.Duration {
	return time.Duration(r.workers)*r.wall/time.Duration(r.datums) - scalingSleep
}

func runScaling(ctx context.Context, b *bench) ([]row, error) {
	const target = "speedup ≥ 0.8 × workers"
	n := max(b.count(2000), 256)
	title := func(workers int) string {
		return fmt.Sprintf("%s datums of sleep 0.2, %d container worker%s", countLabel(n), workers, plural(workers))
	}
	if why := dockerMissing(ctx); why != "" {
		return []row{{scenario: title(scalingWorkers[len(scalingWorkers)-1]), tusk: "n/a (" + why + `; run eval "$(bash .ci/docker.sh)")`,
			baseline: "-", ratio: "-", target: target, result: "n/a"}}, nil
	}
	dir, err := b.scratch("scaling")
	if err != nil {
		return nil, err
	}
	bin, err := b.workerBinary(ctx)
	if err != nil {
		return nil, err
	}
	most := scalingWorkers[len(scalingWorkers)-1]
	limits := server.DefaultLimits()
	limits.MaxParallelism, limits.MaxTotalParallelism = max(limits.MaxParallelism, most), max(limits.MaxTotalParallelism, most)
	dataDir := filepath.Join(dir, "tusk")
	t, err := startServer(ctx, server.Config{DataDir: dataDir, Runner: "docker", WorkerBinary: bin, Limits: limits})
	if err != nil {
		return nil, err
	}
	defer t.stop()
	instance, err := os.ReadFile(filepath.Join(dataDir, "instance"))
	if err != nil {
		return nil, fmt.Errorf("the docker runner's instance ID: %w", err)
	}
	label := "tusk.instance=" + strings.TrimSpace(string(instance))
	var runs []scalingRun
	from := 0
	for _, workers := range scalingWorkers {
		datums := n
		if workers == 1 {
			datums = max(n/scalingSample, 1)
		}
		b.log.Info("scaling", "workers", workers, "datums", datums)
		r, err := scaleOnce(ctx, t.client, label, workers, from, datums)
		if err != nil {
			return nil, fmt.Errorf("%d workers: %w", workers, err)
		}
		b.log.Info("scaling done", "workers", workers, "wall", r.wall.Round(time.Millisecond), "overhead", r.overhead())
		runs = append(runs, r)
		from += datums
	}
	one := runs[0]
	t1 := one.wall * time.Duration(n) / time.Duration(one.datums)
	ideal := scalingSleep * time.Duration(n)
	rows := []row{{
		scenario: title(1),
		tusk: fmt.Sprintf("%s (from %s on %d datums; %s/datum beyond the sleep; container up in %s)",
			secs(t1), secs(one.wall), one.datums, ms(one.overhead()), secs(one.up)),
		baseline: fmt.Sprintf("ideal: %d × 0.2 s = %s", n, secs(ideal)),
		ratio:    ratio(float64(t1), float64(ideal)) + " of the ideal",
		target:   "the base of the speedups",
		result:   "-",
	}}
	for _, r := range runs[1:] {
		speedup := float64(t1) / float64(r.wall)
		rows = append(rows, row{
			scenario: title(r.workers),
			tusk: fmt.Sprintf("%s (job %s; %s/datum beyond the sleep; containers up in %s)",
				secs(r.wall), secs(r.job), ms(r.overhead()), secs(r.up)),
			baseline: "1 worker: " + secs(t1),
			ratio: fmt.Sprintf("speedup %.1f× (%.0f%% of %d; over the ideal %.1f×)",
				speedup, 100*speedup/float64(r.workers), r.workers, float64(ideal)/float64(r.wall)),
			target: fmt.Sprintf("≥ %.1f×", 0.8*float64(r.workers)),
			result: verdict(speedup >= 0.8*float64(r.workers)),
		})
	}
	return rows, nil
}

// scaleOnce makes a repo and a pipeline of sleep 0.2 over it on workers
// container workers, waits for the containers (those carrying label) to
// run, then commits files number from to from+datums-1 and times the job.
// The pipeline is deleted afterwards, and its containers are gone when
// it returns.
func scaleOnce(ctx context.Context, c *client.Client, label string, workers, from, datums int) (scalingRun, error) {
	r := scalingRun{workers: workers, datums: datums}
	repo, pipeline := fmt.Sprintf("in%d", workers), fmt.Sprintf("sleep%d", workers)
	if _, err := c.CreateRepo(ctx, repo, ""); err != nil {
		return r, fmt.Errorf("create repo: %w", err)
	}
	start := time.Now()
	if err := createPipeline(ctx, c, pipeline, repo, "/*", busybox, workers, "sleep", fmt.Sprint(scalingSleep.Seconds())); err != nil {
		return r, err
	}
	labels := []string{label, "tusk.pipeline=" + pipeline}
	err := poll(ctx, 5*time.Minute, fmt.Sprintf("%d containers of %s run", workers, pipeline), func() bool {
		k, err := containers(ctx, true, labels...)
		return err == nil && k == workers
	})
	if err != nil {
		return r, err
	}
	r.up = time.Since(start)
	r.jobRun, err = commitAndWait(ctx, c, repo, pipeline, putWords(from, datums))
	if err == nil && r.processed != int64(datums) {
		err = fmt.Errorf("job processed %d datums of %d (%d skipped)", r.processed, datums, r.skipped)
	}
	if derr := c.DeletePipeline(ctx, pipeline, false); err == nil && derr != nil {
		err = fmt.Errorf("delete pipeline %s: %w", pipeline, derr)
	}
	if err != nil {
		return r, err
	}
	return r, poll(ctx, 5*time.Minute, "the containers of "+pipeline+" are removed", func() bool {
		k, err := containers(ctx, false, labels...)
		return err == nil && k == 0
	})
}

// containers counts the containers that carry every label ("key=value"),
// only the running ones if running.
func containers(ctx context.Context, running bool, labels ...string) (int, error) {
	args := []string{"ps", "--quiet"}
	if !running {
		args = append(args, "--all")
	}
	for _, l := range labels {
		args = append(args, "--filter", "label="+l)
	}
	out, err := exec.CommandContext(ctx, "docker", args...).Output()
	if err != nil {
		return 0, fmt.Errorf("docker ps: %w", err)
	}
	return len(bytes.Fields(out)), nil
}

// plural is "s" unless n is 1.
func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
