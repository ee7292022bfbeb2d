package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"
)

var smallFilesScenario = scenario{
	name:  "smallfiles",
	title: "100k small files, one commit",
	note: "100k files × scale of 1–10 KiB (seeded sizes and random content), 1000 per directory, already in the page " +
		"cache. Tusk: one Upload over a directory walk (a PutFile per file), one Commit, to a server process (as in the " +
		"put scenario) with a fresh store. Against `restic backup` of the directory (fresh repository initialised " +
		"beforehand) and " +
		"`git add -A && git commit` (fresh `git init` beforehand, repository outside the tree). The three alternate " +
		"for -rounds rounds and each figure is the median. Files per second; the target compares Tusk with restic. " +
		"Tusk's time is split into the PutFile calls (walk, read, cut, send chunks as they are cut) and the Commit " +
		"(last chunks, then the server applying 100k operations). Each round writes into directories of its own, " +
		"deleted when the scenario ends.",
	run: runSmallFiles,
}

func runSmallFiles(ctx context.Context, b *bench) ([]row, error) {
	dir, err := b.scratch("smallfiles")
	if err != nil {
		return nil, err
	}
	n := b.count(100_000)
	tree := filepath.Join(dir, "tree")
	b.log.Info("generating", "files", n, "dir", tree)
	total, err := writeSmallFiles(tree, n, 1<<10, 10<<10, 2)
	if err != nil {
		return nil, err
	}
	if err := syncAll(ctx); err != nil {
		return nil, err
	}
	var tusk, rs, git samples
	for round := 1; round <= b.cfg.rounds; round++ {
		out := roundDir(dir, round)
		b.log.Info("tusk put tree", "round", round)
		tusk.addPhases(putTreeOnce(ctx, out("tusk"), stores{}, tree, n))
		if b.tools.restic != "" && rs.ok() {
			b.log.Info("restic backup", "round", round)
			rs.add(resticOnce(ctx, b.tools.restic, out("restic"), tree))
		}
		if b.tools.git != "" && git.ok() {
			b.log.Info("git add + commit", "round", round)
			git.add(gitCommitAll(ctx, b.tools.git, out("git"), tree))
		}
	}
	rate := func(d time.Duration) float64 { return perSec(n, d) }
	r := row{
		scenario: fmt.Sprintf("small files, one commit (%d files, %s)", n, size(total)),
		baseline: fmt.Sprintf("restic %s; git %s", figure(b.tools.restic, &rs, rate, "files/s"), figure(b.tools.git, &git, rate, "files/s")),
		target:   "≥ 3× restic files/s",
		result:   "n/a",
	}
	if tusk.err != nil {
		r.tusk, r.ratio, r.result = "error: "+tusk.err.Error(), "-", "error"
		return []row{r}, nil
	}
	tuskRate := rate(tusk.median())
	r.tusk = fmt.Sprintf("%.0f files/s (%s%s)", tuskRate, tusk.medianPhases(), semi(tusk.spread(rate, "files/s")))
	var resticRate, gitRate float64
	if len(rs.times) > 0 {
		resticRate = rate(rs.median())
		r.result = verdict(tuskRate >= 3*resticRate)
	}
	if len(git.times) > 0 {
		gitRate = rate(git.median())
	}
	r.ratio = fmt.Sprintf("%s of restic, %s of git", ratio(tuskRate, resticRate), ratio(tuskRate, gitRate))
	return []row{r}, nil
}

// putTreeOnce uploads tree into a fresh store in dataDir (or on st),
// served by a server process of its own.
func putTreeOnce(ctx context.Context, dataDir string, st stores, tree string, n int) (phases, error) {
	t, err := startChild(ctx, dataDir, st)
	if err != nil {
		return phases{}, err
	}
	if _, err := t.client.CreateRepo(ctx, "small", ""); err != nil {
		t.stop()
		return phases{}, fmt.Errorf("create repo: %w", err)
	}
	got, ph, err := putTree(ctx, t.client, "small", tree)
	if serr := t.stop(); err == nil {
		err = serr
	}
	if err == nil && got != n {
		err = fmt.Errorf("uploaded %d files, generated %d", got, n)
	}
	return ph, err
}
