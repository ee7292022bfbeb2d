package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

var planScenario = scenario{
	name:  "plan",
	title: "server peak RSS, planning a 10M-datum cross",
	note: "The server runs as a separate process, as in the rss scenario. The client commits 10k × scale tiny files " +
		"to one repo and 1k to another, then creates a pipeline over the cross of the two (glob `/*/*`, one datum per " +
		"file pair: 10M × scale datums, the server's default --max-datums at scale 1). The figure is the server's " +
		"VmHWM (peak resident set) once the job is RUNNING, that is once every datum is planned and stored; its " +
		"workers are not started (the bench binary is no worker), so nothing runs meanwhile.",
	run: runPlan,
}

func runPlan(ctx context.Context, b *bench) ([]row, error) {
	const target = "≤ 256 MiB"
	dir, err := b.scratch("plan")
	if err != nil {
		return nil, err
	}
	na, nb := b.count(10_000), 1_000
	s, err := startChild(ctx, filepath.Join(dir, "tusk"), stores{})
	if err != nil {
		return nil, err
	}
	defer s.stop()
	for repo, n := range map[string]int{"left": na, "right": nb} {
		if _, err := s.client.CreateRepo(ctx, repo, ""); err != nil {
			return nil, fmt.Errorf("create repo: %w", err)
		}
		if err := putTiny(ctx, s.client, repo, n); err != nil {
			return nil, err
		}
	}
	ingestHWM, _, err := s.memory()
	if err != nil {
		return nil, err
	}
	spec, err := json.Marshal(map[string]any{
		"pipeline": map[string]string{"name": "plan"},
		"input": map[string]any{"cross": []any{
			map[string]any{"pfs": map[string]string{"repo": "left", "glob": "/*/*"}},
			map[string]any{"pfs": map[string]string{"repo": "right", "glob": "/*/*"}},
		}},
		"transform": map[string]any{"cmd": []string{"true"}},
	})
	if err != nil {
		return nil, err
	}
	b.log.Info("planning", "datums", na*nb)
	start := time.Now()
	if _, err := s.client.CreatePipeline(ctx, spec, false, false, false); err != nil {
		return nil, fmt.Errorf("create pipeline: %w", err)
	}
	var job tusk.JobInfo
	for job.State != tusk.JobRunning {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
		js, err := s.client.ListJobs(ctx, "plan", "", 1)
		if err != nil {
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		if len(js) == 1 {
			job = js[0]
		}
		if tusk.JobDone(job.State) {
			return nil, fmt.Errorf("job %s ended %s before it ran: %s", job.ID, job.State, job.Reason)
		}
	}
	took := time.Since(start)
	hwm, rss, err := s.memory()
	if err != nil {
		return nil, err
	}
	return []row{{
		scenario: fmt.Sprintf("server peak RSS, planning a cross (%s datums)", countLabel(int(job.DataTotal))),
		tusk: fmt.Sprintf("VmHWM %s once planned (%s after the ingest; VmRSS then: %s; planning took %s)",
			size(hwm), size(ingestHWM), size(rss), secs(took)),
		baseline: "-",
		ratio:    "-",
		target:   target,
		result:   verdict(hwm <= 256<<20),
	}}, nil
}
