package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
)

// consoleData names what the console scenario's pages show: a repo with a
// long history, and a finished job with many datums.
type consoleData struct {
	repo, pipeline, job, datum string
}

// errFound stops a listing once the wanted item has arrived.
var errFound = errors.New("found")

// buildConsoleData creates a repo of commits one-file commits and a job of
// datums one-file datums (command `sh -c :`, parallelism 2). The job runs
// while the commits are made; it is waited for afterwards. The datum named
// is the middle one of the job's listing.
func buildConsoleData(ctx context.Context, b *bench, c *client.Client, commits, datums int) (consoleData, error) {
	d := consoleData{repo: "history", pipeline: "noop"}
	const input = "inputs"
	for _, repo := range []string{d.repo, input} {
		if _, err := c.CreateRepo(ctx, repo, ""); err != nil {
			return d, fmt.Errorf("create repo %s: %w", repo, err)
		}
	}
	if err := createPipeline(ctx, c, d.pipeline, input, "/*", busybox, 2, "sh", "-c", ":"); err != nil {
		return d, err
	}
	b.log.Info("committing the job's input", "files", datums)
	up, err := c.NewUpload(ctx)
	if err != nil {
		return d, fmt.Errorf("new upload: %w", err)
	}
	for i := range datums {
		if err := up.PutFile(fmt.Sprintf("/f%07d", i), bytes.NewReader(tinyContent(i, 0)), false); err != nil {
			up.Abort()
			return d, err
		}
	}
	in, err := up.Commit(input + "@master")
	if err != nil {
		return d, fmt.Errorf("commit to %s: %w", input, err)
	}
	d.job = in.ID
	b.log.Info("making one-file commits while the job runs", "commits", commits)
	start, step := time.Now(), max(1, commits/10)
	for i := range commits {
		if err := changeOne(ctx, c, d.repo, i, 0); err != nil {
			return d, fmt.Errorf("commit %d of %d: %w", i+1, commits, err)
		}
		if (i+1)%step == 0 || i+1 == commits {
			b.log.Info("commits", "done", i+1, "of", commits, "per_s", fmt.Sprintf("%.0f", perSec(i+1, time.Since(start))))
		}
	}
	b.log.Info("waiting for the job", "datums", datums)
	r, err := waitJob(ctx, c, d.pipeline, d.job)
	if err == nil && r.processed != int64(datums) {
		err = fmt.Errorf("job processed %d datums of %d (%d skipped)", r.processed, datums, r.skipped)
	}
	if err != nil {
		return d, err
	}
	b.log.Info("job done", "datums", datums, "job_took", secs(r.job))
	n := 0
	err = c.ListDatums(ctx, d.pipeline, d.job, "", func(di tusk.DatumInfo) error {
		if n++; n > datums/2 {
			d.datum = di.ID
			return errFound
		}
		return nil
	})
	if err != nil && !errors.Is(err, errFound) {
		return d, fmt.Errorf("list datums of %s@%s: %w", d.pipeline, d.job, err)
	}
	if d.datum == "" {
		return d, fmt.Errorf("job %s@%s lists %d datums, want %d", d.pipeline, d.job, n, datums)
	}
	return d, nil
}
