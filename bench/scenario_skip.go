package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/tuskdata/tusk/internal/client"
)

var skipScenario = scenario{
	name:  "skip",
	title: "skip cost per unchanged datum",
	note: "Two repos of 100k and 10k tiny files (× scale) under /d/, each in one commit, with a pipeline each " +
		"(glob `/d/*`, so one datum per file; command `sh -c :`, parallelism 2, process runner) that processes " +
		"every datum once, not timed. Then, for -rounds rounds and alternating between the two, a commit that only " +
		"writes `/other`, outside the glob: its job finds every datum unchanged since the last successful job and " +
		"skips it, keeping its output, and `list datum` shows it SKIPPED. (For a single PFS input Tusk looks only at " +
		"the datums over the files that changed between the two jobs' input commits, and a job stores only the " +
		"datums it runs or removes: the ones it skips are the base job's records, shared through a lineage of " +
		"successful jobs; see internal/meta/lineage.go.) Each job is timed from the commit's return to " +
		"WaitCommit's (medians over the rounds); the skip cost is (time at 100k − time at 10k) / 90k, which " +
		"cancels the fixed cost of a job. There is no baseline tool: Pachyderm's own figure is the reference. In " +
		"pachyderm/pachyderm#4340 a user waited about 10 minutes per pipeline for each job to skip ~10k datums " +
		"after adding one file, and a maintainer put the skip itself at about 1 ms per datum (a map lookup, the rest " +
		"being the merge of outputs). The target is a hundredth of that, at most 10 µs per skipped datum, so that " +
		"skipping is never what a small change waits for: 100k skipped datums then cost at most 1 s.",
	run: runSkip,
}

func runSkip(ctx context.Context, b *bench) ([]row, error) {
	const target = "≤ 10 µs (Pachyderm: ~1 ms)"
	dir, err := b.scratch("skip")
	if err != nil {
		return nil, err
	}
	sizes := []int{b.count(10_000), b.count(100_000)}
	t, err := b.startPPS(ctx, filepath.Join(dir, "tusk"), "process")
	if err != nil {
		return nil, err
	}
	defer t.stop()
	c := t.client
	for k, n := range sizes {
		repo, pipeline := skipNames(k)
		if _, err := c.CreateRepo(ctx, repo, ""); err != nil {
			return nil, fmt.Errorf("create repo: %w", err)
		}
		if err := createPipeline(ctx, c, pipeline, repo, "/d/*", busybox, 2, "sh", "-c", ":"); err != nil {
			return nil, err
		}
		b.log.Info("processing every datum once (not timed)", "datums", n)
		r, err := commitAndWait(ctx, c, repo, pipeline, putUnderD(n))
		if err == nil && r.processed != int64(n) {
			err = fmt.Errorf("first job processed %d datums of %d", r.processed, n)
		}
		if err != nil {
			return nil, err
		}
		b.log.Info("processed", "datums", n, "took", secs(r.wall))
	}
	wall, job := make([]samples, len(sizes)), make([]samples, len(sizes))
	for round := 1; round <= b.cfg.rounds; round++ {
		for k, n := range sizes {
			repo, pipeline := skipNames(k)
			b.log.Info("job skipping every datum", "round", round, "datums", n)
			r, err := commitAndWait(ctx, c, repo, pipeline, func(up *client.Upload) error {
				return up.PutFile("/other", strings.NewReader(fmt.Sprintf("round %d\n", round)), false)
			})
			if err == nil && (r.skipped != int64(n) || r.processed != 0) {
				err = fmt.Errorf("job skipped %d and processed %d of %d datums, want all skipped", r.skipped, r.processed, n)
			}
			if err != nil {
				return nil, err
			}
			wall[k].add(r.wall, nil)
			job[k].add(r.job, nil)
		}
	}
	small, big := wall[0].median(), wall[1].median()
	per := (big - small) / time.Duration(max(sizes[1]-sizes[0], 1))
	jobTimes := func(k int) string {
		return fmt.Sprintf("%s, the job's own %s", secs(wall[k].median()), secs(job[k].median()))
	}
	return []row{{
		scenario: fmt.Sprintf("skip cost per unchanged datum (%s vs %s skipped)", countLabel(sizes[1]), countLabel(sizes[0])),
		tusk: fmt.Sprintf("%s/skipped datum (job skipping %s: %s%s)", skipCost(per),
			countLabel(sizes[1]), jobTimes(1), semi(roundsNote(b.cfg.rounds))),
		baseline: fmt.Sprintf("Tusk skipping %s: %s; Pachyderm ~1 ms/datum (pachyderm/pachyderm#4340, not measured here)",
			countLabel(sizes[0]), jobTimes(0)),
		ratio:  fractionOf(per, time.Millisecond) + " of Pachyderm's ~1 ms",
		target: target,
		result: verdict(per <= 10*time.Microsecond),
	}}, nil
}

// skipCost formats a cost per skipped datum in µs; one at or below zero (the
// larger job took no longer than the smaller one, within noise) is shown
// as 0.
func skipCost(d time.Duration) string {
	return fmt.Sprintf("%.2f µs", float64(max(d, 0))/float64(time.Microsecond))
}

// fractionOf formats d/of as "1/N", or "none" when d is not positive
// (below the noise of the measurement).
func fractionOf(d, of time.Duration) string {
	if d <= 0 {
		return "none"
	}
	return fmt.Sprintf("1/%.0f", float64(of)/float64(d))
}

// skipNames are the repo and pipeline of size k of the skip scenario.
func skipNames(k int) (repo, pipeline string) {
	return fmt.Sprintf("files%d", k), fmt.Sprintf("skip%d", k)
}

// putUnderD fills an upload with n tiny files under /d/.
func putUnderD(n int) func(*client.Upload) error {
	return func(up *client.Upload) error {
		for i := range n {
			if err := up.PutFile(fmt.Sprintf("/d/f%07d", i), bytes.NewReader(tinyContent(i, 0)), false); err != nil {
				return err
			}
		}
		return nil
	}
}

// roundsNote is "medians of N rounds", or empty for one round.
func roundsNote(rounds int) string {
	if rounds < 2 {
		return ""
	}
	return fmt.Sprintf("medians of %d rounds", rounds)
}
