package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

var chaosScenario = scenario{
	name:  "chaos",
	title: "chaos: kill -9 of the server and workers",
	note: "The server package's TestChaos, run long (`go test -run TestChaos ./internal/server` with " +
		"TUSK_CHAOS_KILLS = 60 × scale; CI runs it with 5): a server process with the process runner and a pipeline " +
		"with `datum_tries: 1` that copies each file of its input; two clients, one putting a new file per commit " +
		"into the input, one appending a line per commit to a log in another repo; every 0.1–0.5 s a random worker " +
		"process may get SIGKILL, and after 0.3–1.2 s the server does, then starts again on the same data. At the " +
		"end every put reported done must read back byte-identical, every append reported done must be in the log " +
		"exactly once (and no line twice), every job must have succeeded (a crash may not use up a datum's only " +
		"try), the pipeline's output must hold each input file exactly once, and fsck must find nothing. A loss is " +
		"any of those that does not hold; the target is none.",
	run: runChaos,
}

func runChaos(ctx context.Context, b *bench) ([]row, error) {
	const target = "0 losses"
	dir, err := b.scratch("chaos")
	if err != nil {
		return nil, err
	}
	kills := b.count(60)
	report := filepath.Join(dir, "report.json")
	b.log.Info("chaos test", "server kills", kills)
	took, err := command(ctx, "", []string{"TUSK_CHAOS_KILLS=" + strconv.Itoa(kills), "TUSK_CHAOS_REPORT=" + report, "TMPDIR=" + dir},
		"go", "test", "-count=1", "-timeout=60m", "-run=^TestChaos$", "./internal/server")
	var sum struct {
		ServerKills, WorkerKills, Puts, Appends, Jobs, Losses int
	}
	data, rerr := os.ReadFile(report)
	if rerr != nil {
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("chaos test wrote no report: %w", rerr)
	}
	if err := json.Unmarshal(data, &sum); err != nil {
		return nil, fmt.Errorf("chaos report: %w", err)
	}
	tusk := fmt.Sprintf("%d losses: %d puts, %d appends and %d jobs (datum_tries 1) checked after the last restart (took %s)",
		sum.Losses, sum.Puts, sum.Appends, sum.Jobs, took.Round(time.Second))
	if err != nil {
		tusk += "; the test failed: " + err.Error()
	}
	return []row{{
		scenario: fmt.Sprintf("chaos: %d server kills, %d worker kills", sum.ServerKills, sum.WorkerKills),
		tusk:     tusk,
		baseline: "-",
		ratio:    "-",
		target:   target,
		result:   verdict(err == nil && sum.Losses == 0),
	}}, nil
}
