package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"time"
)

var latencyScenario = scenario{
	name:  "latency",
	title: "commit of one changed file",
	note: "Repos of 1k, 100k and 1M tiny files (× scale; ~60 B each, 1000 per directory), each built with one big " +
		"commit in a fresh in-process store, then 20 commits each changing one file (a random one, seeded) through " +
		"the client: NewUpload, PutFile, Commit, timed end to end. Median and p99 (nearest rank, so the slowest of " +
		"20) per size; the target is on the median at the largest size and on its ratio to the smallest. The rate " +
		"of the big commit that built each repo is shown for information.",
	run: runLatency,
}

// latencyCommits is how many one-file commits are timed per repo size.
const latencyCommits = 20

func runLatency(ctx context.Context, b *bench) ([]row, error) {
	dir, err := b.scratch("latency")
	if err != nil {
		return nil, err
	}
	var rows []row
	var medians []time.Duration
	var sizes []int
	for i, base := range []int{1_000, 100_000, 1_000_000} {
		n := b.count(base)
		lat, build, err := latencyAt(ctx, b, filepath.Join(dir, fmt.Sprint(i)), n)
		if err != nil {
			rows = append(rows, errorRow(fmt.Sprintf("one-file commit at %s files", countLabel(n)), "-", err))
			continue
		}
		med, p99 := quantile(lat, 0.5), quantile(lat, 0.99)
		medians, sizes = append(medians, med), append(sizes, n)
		rows = append(rows, row{
			scenario: fmt.Sprintf("one-file commit at %s files", countLabel(n)),
			tusk:     fmt.Sprintf("median %s, p99 %s (repo built at %.0f files/s)", ms(med), ms(p99), perSec(n, build)),
			baseline: "-",
			ratio:    "-",
			target:   "-",
			result:   "info",
		})
	}
	if len(medians) < 3 {
		return rows, nil
	}
	big, small := medians[2], medians[0]
	return append(rows, row{
		scenario: fmt.Sprintf("one-file commit: median at %s vs %s files", countLabel(sizes[2]), countLabel(sizes[0])),
		tusk:     "median " + ms(big),
		baseline: fmt.Sprintf("Tusk at %s: %s", countLabel(sizes[0]), ms(small)),
		ratio:    ratio(float64(big), float64(small)),
		target:   "median ≤ 50 ms, ≤ 2× the smallest",
		result:   verdict(big <= 50*time.Millisecond && big <= 2*small),
	}), nil
}

// latencyAt builds a repo of n tiny files in a fresh store under dir and
// times latencyCommits one-file commits to it.
func latencyAt(ctx context.Context, b *bench, dir string, n int) ([]time.Duration, time.Duration, error) {
	t, err := startTusk(ctx, dir)
	if err != nil {
		return nil, 0, err
	}
	defer t.stop()
	repo := "lat"
	if _, err := t.client.CreateRepo(ctx, repo, ""); err != nil {
		return nil, 0, fmt.Errorf("create repo: %w", err)
	}
	b.log.Info("building repo", "files", n)
	start := time.Now()
	if err := putTiny(ctx, t.client, repo, n); err != nil {
		return nil, 0, err
	}
	build := time.Since(start)
	b.log.Info("timing one-file commits", "files", n, "commits", latencyCommits)
	rng := rand.New(rand.NewPCG(4, uint64(n)))
	var lat []time.Duration
	for v := 1; v <= latencyCommits; v++ {
		start := time.Now()
		if err := changeOne(ctx, t.client, repo, rng.IntN(n), v); err != nil {
			return nil, build, fmt.Errorf("commit %d at %d files: %w", v, n, err)
		}
		lat = append(lat, time.Since(start))
	}
	return lat, build, nil
}
