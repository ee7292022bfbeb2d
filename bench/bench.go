package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime/pprof"
	"runtime/trace"
	"time"

	"github.com/tuskdata/tusk/internal/cli"
)

// scenario is one benchmark: run returns the rows it adds to the table.
type scenario struct {
	name  string // for -only
	title string
	note  string // what is measured, for the report
	run   func(ctx context.Context, b *bench) ([]row, error)
}

// scenarios run in this order.
var scenarios = []scenario{putScenario, smallFilesScenario, versionsScenario, latencyScenario, rssScenario,
	datumsScenario, isolationScenario, dockerScenario, kubeScenario, scalingScenario, skipScenario, changeScenario, consoleScenario, chaosScenario, securityScenario, claimsScenario, failoverScenario, planScenario, s3Scenario, s3RequestsScenario, s3gwScenario, mountScenario}

func scenarioNames() []string {
	var out []string
	for _, s := range scenarios {
		out = append(out, s.name)
	}
	return out
}

// row is one line of the results table.
type row struct {
	scenario string
	tusk     string
	baseline string
	ratio    string
	target   string
	result   string // pass, FAIL, n/a or error
}

// verdict is "pass" or "FAIL".
func verdict(ok bool) string {
	if ok {
		return "pass"
	}
	return "FAIL"
}

// errorRow reports a failed measurement in the table instead of hiding it.
func errorRow(name, target string, err error) row {
	return row{scenario: name, tusk: "error: " + err.Error(), baseline: "-", ratio: "-", target: target, result: "error"}
}

// bench holds what every scenario needs.
type bench struct {
	cfg     config
	dir     string // the work directory
	log     *slog.Logger
	tools   tools
	worker  string    // the worker binary, once built
	scale   float64   // of the scenario that runs
	cleared time.Time // when the last scenario's data was deleted
}

// settle is how long the bench waits after deleting a scenario's data
// before it starts the next. On ext4 without a journal the inode allocator
// skips, one by one, inodes freed less than 30 s ago (the dirty expiry),
// so a scenario that creates files right after many were deleted pays CPU
// for every one of them; see roundDir.
const settle = 31 * time.Second

// bytes scales a data size, keeping at least 64 KiB.
func (b *bench) bytes(n int64) int64 {
	return max(64<<10, int64(math.Round(float64(n)*b.scale)))
}

// count scales a number of files, keeping at least 1.
func (b *bench) count(n int) int {
	return max(1, int(math.Round(float64(n)*b.scale)))
}

// scratch returns an empty directory for one scenario's data.
func (b *bench) scratch(name string) (string, error) {
	d := filepath.Join(b.dir, name)
	if err := os.RemoveAll(d); err != nil {
		return "", fmt.Errorf("clear %s: %w", d, err)
	}
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", d, err)
	}
	return d, nil
}

// runScenario runs sc in its own scratch directory, removed afterwards,
// under a CPU profile and an execution trace when asked for. An error
// becomes a table row.
func (b *bench) runScenario(ctx context.Context, sc scenario) []row {
	if wait := settle - time.Since(b.cleared); !b.cleared.IsZero() && wait > 0 {
		b.log.Info("letting the file system forget the deleted data", "wait", wait.Round(time.Second))
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil
		}
	}
	b.scale = b.cfg.scaleOf(sc.name)
	if b.cfg.cpuprofile != "" {
		defer b.record(fmt.Sprintf("%s-%s.pprof", b.cfg.cpuprofile, sc.name), "CPU profile", pprof.StartCPUProfile, pprof.StopCPUProfile)()
		os.Setenv(serverProfileEnv, fmt.Sprintf("%s-%s-server", b.cfg.cpuprofile, sc.name))
		defer os.Unsetenv(serverProfileEnv)
		os.Setenv(cli.WorkerProfileEnv, fmt.Sprintf("%s-%s-worker", b.cfg.cpuprofile, sc.name))
		defer os.Unsetenv(cli.WorkerProfileEnv)
	}
	if b.cfg.trace != "" {
		defer b.record(fmt.Sprintf("%s-%s.trace", b.cfg.trace, sc.name), "execution trace", trace.Start, trace.Stop)()
	}
	rows, err := sc.run(ctx, b)
	if err != nil {
		b.log.Error("scenario failed", "name", sc.name, "err", err)
		rows = append(rows, errorRow(sc.title, "-", err))
	}
	if err := os.RemoveAll(filepath.Join(b.dir, sc.name)); err != nil {
		b.log.Warn("cleanup", "err", err)
	}
	b.cleared = time.Now()
	return rows
}

// record starts writing a profile or trace to path and returns what stops
// it. Failing to start one is only logged.
func (b *bench) record(path, what string, start func(io.Writer) error, stop func()) func() {
	f, err := os.Create(path)
	if err != nil {
		b.log.Warn("no "+what, "err", err)
		return func() {}
	}
	if err := start(f); err != nil {
		f.Close()
		b.log.Warn("no "+what, "err", err)
		return func() {}
	}
	b.log.Info(what, "path", path)
	return func() {
		stop()
		f.Close()
	}
}
