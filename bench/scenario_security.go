package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/server"
)

var securityScenario = scenario{
	name:  "security",
	title: "authentication and TLS overhead",
	note: "Two in-process servers with the process runner, each on a fresh data directory: one as `tusk up` " +
		"serves by default beyond loopback (authentication on, every request with a bearer token; TLS with a " +
		"self-signed certificate that the client pins), one plain (HTTP, authentication deactivated, requests " +
		"without a token). On each, alternating for -rounds rounds: the put of 10k × scale text files of a few " +
		"words in one commit (one Upload, a PutFile per file, one Commit), and the datums scenario's pipeline " +
		"over them (glob `/*`, parallelism 2, `wc -w`), timed from the commit to WaitCommit, and the pipeline deleted. " +
		"For each run the bench also takes the CPU time (user and system) that its own process, which holds both servers " +
		"and the clients, and its reaped children (the workers, stopped with their pipeline, and their commands) used: " +
		"the sides run one at a time, so each run's CPU time is its side's. Figures are medians. The ratio and the verdict " +
		"are the secure side's CPU time over the plain one's: what authentication and TLS cost is CPU, and on a shared " +
		"machine CPU time varies far less from run to run than elapsed time, whose ratio is shown beside it.",
	run: runSecurity,
}

func runSecurity(ctx context.Context, b *bench) ([]row, error) {
	const target = "≤ 1.05× without them"
	dir, err := b.scratch("security")
	if err != nil {
		return nil, err
	}
	n := b.count(10_000)
	words := filepath.Join(dir, "words")
	if err := writeWordFiles(words, 0, n); err != nil {
		return nil, err
	}
	if err := syncAll(ctx); err != nil {
		return nil, err
	}
	bin, err := b.workerBinary(ctx)
	if err != nil {
		return nil, err
	}
	secure, err := startServer(ctx, server.Config{DataDir: filepath.Join(dir, "secure"), Runner: "process", WorkerBinary: bin,
		TLS: server.TLSConfig{SelfSigned: true}})
	if err != nil {
		return nil, err
	}
	defer secure.stop()
	plain, err := startServer(ctx, server.Config{DataDir: filepath.Join(dir, "plain"), Runner: "process", WorkerBinary: bin})
	if err != nil {
		return nil, err
	}
	defer plain.stop()
	if err := plain.client.DeactivateAuth(ctx); err != nil {
		return nil, fmt.Errorf("deactivate authentication: %w", err)
	}
	anonymous, err := client.New(plain.addr)
	if err != nil {
		return nil, err
	}
	clients := map[string]*client.Client{"secure": secure.client, "plain": anonymous}
	put, datums := map[string]*samples{"secure": {}, "plain": {}}, map[string]*samples{"secure": {}, "plain": {}}
	putCPU, datumsCPU := map[string]*samples{"secure": {}, "plain": {}}, map[string]*samples{"secure": {}, "plain": {}}
	for round := 1; round <= b.cfg.rounds; round++ {
		for _, side := range []string{"secure", "plain"} {
			c := clients[side]
			b.log.Info("put", "server", side, "round", round, "files", n)
			repo := fmt.Sprintf("put%d", round)
			if _, err := c.CreateRepo(ctx, repo, ""); err != nil {
				return nil, fmt.Errorf("%s: create repo: %w", side, err)
			}
			start, cpu := time.Now(), cpuTime()
			if _, _, err := putTree(ctx, c, repo, words); err != nil {
				return nil, fmt.Errorf("%s: %w", side, err)
			}
			put[side].add(time.Since(start), nil)
			putCPU[side].add(cpuTime()-cpu, nil)
			b.log.Info("datums", "server", side, "round", round, "datums", n)
			cpu = cpuTime()
			r, _, err := datumsOnce(ctx, c, round, words, n, "/pfs/out")
			if err != nil {
				return nil, fmt.Errorf("%s: %w", side, err)
			}
			datums[side].add(r.wall, nil)
			datumsCPU[side].add(cpuTime()-cpu, nil)
		}
	}
	overhead := func(what string, wall, cpu map[string]*samples) row {
		sec, pl := cpu["secure"].median(), cpu["plain"].median()
		return row{
			scenario: fmt.Sprintf("%s, authentication and TLS (%s files)", what, countLabel(n)),
			tusk:     fmt.Sprintf("CPU %s, elapsed %s (medians of %d)", secs(sec), secs(wall["secure"].median()), b.cfg.rounds),
			baseline: fmt.Sprintf("plain HTTP, authentication off: CPU %s, elapsed %s", secs(pl), secs(wall["plain"].median())),
			ratio: ratio(float64(sec), float64(pl)) + " CPU (elapsed " +
				ratio(float64(wall["secure"].median()), float64(wall["plain"].median())) + ")",
			target: target,
			result: verdict(float64(sec) <= 1.05*float64(pl)),
		}
	}
	return []row{overhead("put of small files, one commit", put, putCPU), overhead("one-file datums, parallelism 2", datums, datumsCPU)}, nil
}
