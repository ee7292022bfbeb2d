package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/tuskdata/tusk/internal/client"
)

// changeRuns is how many one-file changes the change scenario times.
const changeRuns = 5

var changeScenario = scenario{
	name:  "change",
	title: "one changed file of 10k, put file to SUCCESS",
	note: "The datums scenario's data and pipeline (10k × scale files of a few words, glob `/*`, parallelism 2, " +
		"command `sh -c 'wc -w < $in > /pfs/out/${in##*/}'`, process runner). The full run is the first " +
		"commit of every file and its job, which processes every datum; then, with the workers still up (warm), " +
		"5 commits (or -rounds, if more) that each rewrite one file with more words, a different file each time: " +
		"each job runs that one datum and skips the others, and the changed file's output is checked. Every run " +
		"is timed from the start of the upload (`put file`) to WaitCommit's return on its commit set, that is " +
		"until the job's SUCCESS and output commit; the change figure is the median, against 1 s and against 2% " +
		"of the full run. Shown too: the median split of a change between the upload (until Commit returns) and " +
		"the job.",
	run: runChange,
}

func runChange(ctx context.Context, b *bench) ([]row, error) {
	const target = "≤ 1 s and ≤ 2% of the full run"
	in, n, t, err := startWithWords(ctx, b, "change")
	if err != nil {
		return nil, err
	}
	defer t.stop()
	c := t.client
	const repo, pipeline = "words", "wc"
	if _, err := c.CreateRepo(ctx, repo, ""); err != nil {
		return nil, fmt.Errorf("create repo: %w", err)
	}
	err = createPipeline(ctx, c, pipeline, repo, "/*", busybox, 2, "sh", "-c", "wc -w < $in > /pfs/out/${in##*/}")
	if err != nil {
		return nil, err
	}
	b.log.Info("full run", "datums", n)
	full, err := putAndWait(ctx, c, repo, pipeline, func(up *client.Upload) error {
		_, err := putDir(up, in)
		return err
	})
	if err == nil && full.processed != int64(n) {
		err = fmt.Errorf("full run processed %d datums of %d", full.processed, n)
	}
	if err != nil {
		return nil, err
	}
	b.log.Info("full run done", "took", secs(full.total))
	runs := max(changeRuns, b.cfg.rounds)
	var total, upload, job samples
	for k := 1; k <= runs; k++ {
		i := k * n / (runs + 1)
		b.log.Info("changing one file", "run", k, "file", wordName(i))
		r, err := rewriteOne(ctx, c, repo, pipeline, i, k, n)
		if err != nil {
			return nil, err
		}
		total.add(r.total, nil)
		upload.add(r.upload, nil)
		job.add(r.total-r.upload, nil)
	}
	med := total.median()
	return []row{{
		scenario: fmt.Sprintf("1 changed file of %s, put file to SUCCESS, warm workers (process runner)", countLabel(n)),
		tusk: fmt.Sprintf("%s (median of %d, %s–%s; upload %s, then the job %s)", secs(med), runs,
			secs(slices.Min(total.times)), secs(slices.Max(total.times)), secs(upload.median()), secs(job.median())),
		baseline: fmt.Sprintf("the full run of %s datums: %s", countLabel(n), secs(full.total)),
		ratio:    fmt.Sprintf("%.2f%% of the full run", 100*float64(med)/float64(full.total)),
		target:   target,
		result:   verdict(med <= time.Second && float64(med) <= 0.02*float64(full.total)),
	}}, nil
}

// putRun is one commit timed from the start of its upload: total until
// WaitCommit returns, upload until Commit returns.
type putRun struct {
	jobRun
	total, upload time.Duration
}

// putAndWait uploads what fill puts to repo@master as one commit and waits
// for pipeline's job on it, timing both from the start of the upload.
func putAndWait(ctx context.Context, c *client.Client, repo, pipeline string, fill func(*client.Upload) error) (putRun, error) {
	start := time.Now()
	up, err := c.NewUpload(ctx)
	if err != nil {
		return putRun{}, fmt.Errorf("new upload: %w", err)
	}
	if err := fill(up); err != nil {
		up.Abort()
		return putRun{}, err
	}
	commit, err := up.Commit(repo + "@master")
	if err != nil {
		return putRun{}, fmt.Errorf("commit to %s: %w", repo, err)
	}
	r := putRun{upload: time.Since(start)}
	r.jobRun, err = waitJob(ctx, c, pipeline, commit.ID)
	r.total = r.upload + r.wall
	return r, err
}

// rewriteOne rewrites file i of n with more words (version k), waits for
// the job, which must run that datum alone, and checks its output.
func rewriteOne(ctx context.Context, c *client.Client, repo, pipeline string, i, k, n int) (putRun, error) {
	content := fmt.Sprintf("file %d of the datums benchmark, changed in run %d\n", i, k)
	r, err := putAndWait(ctx, c, repo, pipeline, func(up *client.Upload) error {
		return up.PutFile("/"+wordName(i), strings.NewReader(content), false)
	})
	if err == nil && (r.processed != 1 || r.skipped != int64(n-1)) {
		err = fmt.Errorf("job %s processed %d and skipped %d datums, want 1 and %d", r.id, r.processed, r.skipped, n-1)
	}
	if err != nil {
		return r, err
	}
	rc, _, err := c.GetFile(ctx, pipeline+"@"+r.id+":/"+wordName(i), 0)
	if err != nil {
		return r, fmt.Errorf("output of the changed file: %w", err)
	}
	defer rc.Close()
	out, err := io.ReadAll(rc)
	if err != nil {
		return r, fmt.Errorf("output of the changed file: %w", err)
	}
	if got, want := strings.TrimSpace(string(out)), fmt.Sprint(len(strings.Fields(content))); got != want {
		return r, fmt.Errorf("output of the changed file %s is %q, want %q", wordName(i), got, want)
	}
	return r, nil
}
