package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"
)

var putScenario = scenario{
	name:  "put",
	title: "put 1 GiB file",
	note: "One file of seeded random bytes (1 GiB × scale), already in the page cache, put through the Go client " +
		"(one Upload, one PutFile, one Commit) to a server process with a fresh store (this binary in a hidden serve " +
		"mode, the same code as `tusk up`: client and server do not share one Go scheduler, as they never do in " +
		"use); against `cp` of the file then `sync FILE`, and `restic backup` into a fresh repository initialised beforehand (not timed). " +
		"The three alternate for -rounds rounds and each figure is the median. Throughput in MB/s (10⁶ B/s); the " +
		"ratio is Tusk's throughput over cp+sync's. Random data neither compresses nor deduplicates, so every byte " +
		"is chunked, hashed and written (compression is tried on a sample and skipped). Tusk's time is split into " +
		"the PutFile call (reading, cutting and sending chunks) and the Commit (last chunks, then the commit). On a " +
		"virtual disk the host may absorb the flush, so cp+sync varies several-fold between runs: read the spread. " +
		"Each round writes into directories of its own, deleted when the scenario ends.",
	run: runPut,
}

func runPut(ctx context.Context, b *bench) ([]row, error) {
	dir, err := b.scratch("put")
	if err != nil {
		return nil, err
	}
	n := b.bytes(1 << 30)
	src := filepath.Join(dir, "source.bin")
	b.log.Info("generating", "file", src, "size", size(n))
	if err := writeRandomFile(src, n, 1); err != nil {
		return nil, err
	}
	if err := syncAll(ctx); err != nil {
		return nil, err
	}
	if err := readAll(src); err != nil {
		return nil, err
	}
	var cp, tusk, rs samples
	for round := 1; round <= b.cfg.rounds; round++ {
		out := roundDir(dir, round)
		b.log.Info("cp + sync", "round", round)
		cp.add(cpSync(ctx, src, out("copy.bin")))
		b.log.Info("tusk put", "round", round)
		tusk.addPhases(putOnce(ctx, out("tusk"), stores{}, src))
		if b.tools.restic != "" && rs.ok() {
			b.log.Info("restic backup", "round", round)
			rs.add(resticOnce(ctx, b.tools.restic, out("restic"), src))
		}
	}
	if cp.err != nil {
		return nil, cp.err
	}
	rate := func(d time.Duration) float64 { return mbps(n, d) }
	cpRate := rate(cp.median())
	baseline := fmt.Sprintf("cp+sync %s; restic %s", figure("cp", &cp, rate, "MB/s"), figure(b.tools.restic, &rs, rate, "MB/s"))
	r := row{
		scenario: fmt.Sprintf("put one file (%s)", size(n)),
		baseline: baseline,
		target:   "≥ 1× cp+sync",
	}
	if tusk.err != nil {
		r.tusk, r.ratio, r.result = "error: "+tusk.err.Error(), "-", "error"
		return []row{r}, nil
	}
	tuskRate := rate(tusk.median())
	r.tusk = fmt.Sprintf("%.0f MB/s (%s%s)", tuskRate, tusk.medianPhases(), semi(tusk.spread(rate, "MB/s")))
	r.ratio = ratio(tuskRate, cpRate) + " of cp+sync"
	r.result = verdict(tuskRate >= cpRate)
	return []row{r}, nil
}

// putOnce puts src into a fresh store in dataDir (or on st), served by a
// server process of its own.
func putOnce(ctx context.Context, dataDir string, st stores, src string) (phases, error) {
	t, err := startChild(ctx, dataDir, st)
	if err != nil {
		return phases{}, err
	}
	if _, err := t.client.CreateRepo(ctx, "put", ""); err != nil {
		t.stop()
		return phases{}, fmt.Errorf("create repo: %w", err)
	}
	ph, err := putFile(ctx, t.client, "put", src, "/source.bin")
	if serr := t.stop(); err == nil {
		err = serr
	}
	return ph, err
}

// roundDir returns the paths of one round's outputs under dir. Rounds
// keep their outputs until the scenario ends: on ext4 without a journal,
// creating files within half a minute of deleting many costs CPU for every
// one deleted (the allocator skips recently freed inodes one by one), so
// clearing a round just before the next would tax whichever tool creates
// the most files.
func roundDir(dir string, round int) func(name string) string {
	return func(name string) string { return filepath.Join(dir, fmt.Sprintf("round%d-%s", round, name)) }
}
