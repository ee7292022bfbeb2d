package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/server"
	"github.com/tuskdata/tusk/internal/tusk"
)

// busybox is the local image of the docker runner's tests, built by
// .ci/docker.sh; the process runner ignores it.
const busybox = "tusk-test/busybox:latest"

// workerBinary builds the static tusk binary that pipeline workers run,
// once per bench run, into the work directory: workers are `tusk worker`
// processes (process runner) or containers with it mounted as their
// entrypoint (docker runner), so the bench binary itself will not do.
func (b *bench) workerBinary(ctx context.Context) (string, error) {
	if b.worker != "" {
		return b.worker, nil
	}
	out := filepath.Join(b.dir, "tusk")
	b.log.Info("building the worker binary", "path", out)
	if _, err := command(ctx, "", []string{"CGO_ENABLED=0"}, "go", "build", "-o", out, "./cmd/tusk"); err != nil {
		return "", fmt.Errorf("build the worker binary (run the bench from the repository root): %w", err)
	}
	b.worker = out
	return out, nil
}

// startPPS runs an in-process server on dataDir whose pipeline workers run
// with runner ("process" or "docker").
func (b *bench) startPPS(ctx context.Context, dataDir, runner string) (*tuskServer, error) {
	bin, err := b.workerBinary(ctx)
	if err != nil {
		return nil, err
	}
	return startServer(ctx, server.Config{DataDir: dataDir, Runner: runner, WorkerBinary: bin})
}

// createPipeline creates a pipeline over repo (input named "in") with
// glob, running cmd in image on parallelism workers.
func createPipeline(ctx context.Context, c *client.Client, name, repo, glob, image string, parallelism int, cmd ...string) error {
	spec, err := json.Marshal(map[string]any{
		"pipeline":         map[string]string{"name": name},
		"input":            map[string]any{"pfs": map[string]string{"name": "in", "repo": repo, "glob": glob}},
		"transform":        map[string]any{"image": image, "cmd": cmd},
		"parallelism_spec": map[string]int{"constant": parallelism},
	})
	if err != nil {
		return err
	}
	if _, err := c.CreatePipeline(ctx, spec, false, false, false); err != nil {
		return fmt.Errorf("create pipeline %s: %w", name, err)
	}
	return nil
}

// jobRun is one timed job: wall is from the input commit's return to
// WaitCommit's, job is the job's own Started→Finished.
type jobRun struct {
	id                 string // the job's, and its commit set's
	wall, job          time.Duration
	processed, skipped int64
	// The CPU time of the job where datumsOnce measures it: of the
	// workers, of the commands they ran, of this process (the server).
	workersCPU, commandsCPU, serverCPU time.Duration
}

// commitAndWait commits what fill puts into an upload to repo@master, then
// waits for the job of pipeline that the commit triggers, and times it.
func commitAndWait(ctx context.Context, c *client.Client, repo, pipeline string, fill func(*client.Upload) error) (jobRun, error) {
	id, err := commitFill(ctx, c, repo, fill)
	if err != nil {
		return jobRun{}, err
	}
	return waitJob(ctx, c, pipeline, id)
}

// commitFill commits what fill puts into an upload to repo@master, and
// returns the commit's ID.
func commitFill(ctx context.Context, c *client.Client, repo string, fill func(*client.Upload) error) (string, error) {
	up, err := c.NewUpload(ctx)
	if err != nil {
		return "", fmt.Errorf("new upload: %w", err)
	}
	if err := fill(up); err != nil {
		up.Abort()
		return "", err
	}
	commit, err := up.Commit(repo + "@master")
	if err != nil {
		return "", fmt.Errorf("commit to %s: %w", repo, err)
	}
	return commit.ID, nil
}

// waitJob waits for the commit set id and returns the timing and counts of
// pipeline's job in it, which must have succeeded. The job's record may
// still say FINISHING when its output commit is finished, so it is waited
// for too, after the timing.
func waitJob(ctx context.Context, c *client.Client, pipeline, id string) (jobRun, error) {
	start := time.Now()
	if _, err := c.WaitCommit(ctx, id); err != nil {
		return jobRun{}, fmt.Errorf("wait for commit set %s: %w", id, err)
	}
	r := jobRun{id: id, wall: time.Since(start)}
	js, err := c.WaitJob(ctx, pipeline, id)
	if err == nil && len(js) != 1 {
		err = fmt.Errorf("got %d jobs", len(js))
	}
	if err != nil {
		return r, fmt.Errorf("wait for job %s@%s: %w", pipeline, id, err)
	}
	j := js[0]
	if j.State != tusk.JobSuccess {
		return r, fmt.Errorf("job %s@%s ended %s: %s", pipeline, id, j.State, j.Reason)
	}
	if j.Started != nil && j.Finished != nil {
		r.job = j.Finished.Sub(*j.Started)
	}
	r.processed, r.skipped = j.DataProcessed, j.DataSkipped
	return r, nil
}

// datumBusy is the median time the successful datums of a job took from
// their claim by a worker to its report of the result.
func datumBusy(ctx context.Context, c *client.Client, pipeline, id string) (time.Duration, error) {
	var ds []time.Duration
	err := c.ListDatums(ctx, pipeline, id, tusk.DatumSuccess, func(d tusk.DatumInfo) error {
		if d.Started != nil && d.Finished != nil {
			ds = append(ds, d.Finished.Sub(*d.Started))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("list datums of %s@%s: %w", pipeline, id, err)
	}
	return quantile(ds, 0.5), nil
}

// perDatum formats d/n in the most readable unit.
func perDatum(d time.Duration, n int) string {
	per := d / time.Duration(max(n, 1))
	if per < time.Millisecond {
		return fmt.Sprintf("%.0f µs", float64(per)/float64(time.Microsecond))
	}
	return fmt.Sprintf("%.2f ms", float64(per)/float64(time.Millisecond))
}

// datumSpread is "median of N, lo–hi" per datum over the rounds of s, or
// empty for a single round.
func datumSpread(s *samples, n int) string {
	if len(s.times) < 2 {
		return ""
	}
	return fmt.Sprintf("median of %d, %s–%s/datum", len(s.times), perDatum(slices.Min(s.times), n), perDatum(slices.Max(s.times), n))
}
