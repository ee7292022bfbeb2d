package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"
)

var rssScenario = scenario{
	name:  "rss",
	title: "server peak RSS, 1M-file ingest",
	note: "The server runs as a separate process (this binary re-executed in a hidden serve mode, the same code as " +
		"`tusk up`). The client commits 1M × scale tiny files in one commit, then 5 one-file commits. The figure is " +
		"the server's VmHWM (peak resident set) from /proc/PID/status after the ingest and after the follow-up " +
		"commits, and its VmRSS at the end. Nothing else runs in the server process.",
	run: runRSS,
}

func runRSS(ctx context.Context, b *bench) ([]row, error) {
	const target = "≤ 512 MiB"
	dir, err := b.scratch("rss")
	if err != nil {
		return nil, err
	}
	n := b.count(1_000_000)
	s, err := startChild(ctx, filepath.Join(dir, "tusk"), stores{})
	if err != nil {
		return nil, err
	}
	defer s.stop()
	idleHWM, _, err := s.memory()
	if err != nil {
		return nil, err
	}
	if _, err := s.client.CreateRepo(ctx, "rss", ""); err != nil {
		return nil, fmt.Errorf("create repo: %w", err)
	}
	b.log.Info("ingesting", "files", n)
	start := time.Now()
	if err := putTiny(ctx, s.client, "rss", n); err != nil {
		return nil, err
	}
	build := time.Since(start)
	ingestHWM, _, err := s.memory()
	if err != nil {
		return nil, err
	}
	b.log.Info("one-file commits after the ingest")
	for v := 1; v <= 5; v++ {
		if err := changeOne(ctx, s.client, "rss", v*(n/6), v); err != nil {
			return nil, err
		}
	}
	hwm, rss, err := s.memory()
	if err != nil {
		return nil, err
	}
	return []row{{
		scenario: fmt.Sprintf("%s (%s files)", "server peak RSS, ingest", countLabel(n)),
		tusk: fmt.Sprintf("VmHWM %s after the ingest, %s after 5 more commits (idle: %s; VmRSS at the end: %s; ingest took %s)",
			size(ingestHWM), size(hwm), size(idleHWM), size(rss), secs(build)),
		baseline: "-",
		ratio:    "-",
		target:   target,
		result:   verdict(hwm <= 512<<20),
	}}, nil
}
