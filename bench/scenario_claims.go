package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to make and drop the scenario's database

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/server"
	"github.com/tuskdata/tusk/internal/tusk"
)

var claimsScenario = scenario{
	name:  "claims",
	title: "claim throughput of the scheduler",
	note: "How many datums the scheduler hands out and takes back per second, without the cost of running them: " +
		"an in-process server with the external runner (it starts no workers) and, as its workers, 16 goroutines " +
		"that speak the worker protocol over HTTP (ask for a set of datums, report each one SUCCESS at once with no " +
		"output, ask again). A pipeline over a repo of 20k × scale empty files (glob `/*`, parallelism 16) gets " +
		"one commit; the time runs from the first set handed out to the job's end (planning the datums is not " +
		"timed), and the server's metadata transactions (reads and writes, retries included) in that time are " +
		"divided by the datums. On PostgreSQL (`-postgres DSN`, default $TUSK_TEST_POSTGRES; each run makes a " +
		"database of its own and drops it), beside the same on the embedded SQLite store. Figures are medians " +
		"over -rounds rounds, the two stores alternating.",
	run: runClaims,
}

// claimWorkers is how many simulated workers claim at once.
const claimWorkers = 16

func runClaims(ctx context.Context, b *bench) ([]row, error) {
	const target = "≥ 5,000 datums/s on PostgreSQL"
	if b.cfg.postgres == "" {
		return nil, errors.New("needs PostgreSQL: give -postgres DSN or set TUSK_TEST_POSTGRES")
	}
	dir, err := b.scratch("claims")
	if err != nil {
		return nil, err
	}
	n := b.count(20_000)
	var pgRates, liteRates samples
	var pgTx, liteTx []float64
	for round := 1; round <= b.cfg.rounds; round++ {
		for _, store := range []string{"postgres", "sqlite"} {
			b.log.Info("claims", "store", store, "round", round, "datums", n)
			metadata := ""
			var drop func()
			if store == "postgres" {
				dsn, dropDB, err := freshDatabase(ctx, b.cfg.postgres, fmt.Sprintf("tusk_bench_claims_%d_%d", os.Getpid(), round))
				if err != nil {
					return nil, err
				}
				metadata, drop = dsn, dropDB
			}
			d, tx, err := claimsOnce(ctx, filepath.Join(dir, fmt.Sprintf("%s-%d", store, round)), metadata, n)
			if drop != nil {
				drop()
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", store, err)
			}
			if store == "postgres" {
				pgRates.add(d, nil)
				pgTx = append(pgTx, tx)
			} else {
				liteRates.add(d, nil)
				liteTx = append(liteTx, tx)
			}
		}
	}
	rate := func(d time.Duration) float64 { return float64(n) / d.Seconds() }
	pg, lite := rate(pgRates.median()), rate(liteRates.median())
	return []row{{
		scenario: fmt.Sprintf("claim and complete %s empty datums, %d simulated workers", countLabel(n), claimWorkers),
		tusk:     fmt.Sprintf("PostgreSQL: %.0f datums/s, %.2f transactions/datum (median of %d)", pg, medianOf(pgTx), b.cfg.rounds),
		baseline: fmt.Sprintf("SQLite: %.0f datums/s, %.2f transactions/datum", lite, medianOf(liteTx)),
		ratio:    ratio(pg, lite) + " of SQLite",
		target:   target,
		result:   verdict(pg >= 5000),
	}}, nil
}

// claimsOnce runs one round on a fresh server over metadata ("" for
// SQLite in dataDir) and returns the time from the first claim to the
// job's end, and the metadata transactions per datum in that time.
func claimsOnce(ctx context.Context, dataDir, metadata string, n int) (time.Duration, float64, error) {
	cfg := server.Config{DataDir: dataDir, Metadata: metadata, Runner: "external", Limits: server.DefaultLimits()}
	cfg.Limits.MaxParallelism = claimWorkers
	cfg.Limits.MaxTotalParallelism = claimWorkers
	t, err := startServer(ctx, cfg)
	if err != nil {
		return 0, 0, err
	}
	defer t.stop()
	c := t.client
	if _, err := c.CreateRepo(ctx, "in", ""); err != nil {
		return 0, 0, err
	}
	if err := createPipeline(ctx, c, "claims", "in", "/*", busybox, claimWorkers, "true"); err != nil {
		return 0, 0, err
	}
	up, err := c.NewUpload(ctx)
	if err != nil {
		return 0, 0, err
	}
	for i := range n {
		if err := up.PutFile(fmt.Sprintf("/f%07d", i), strings.NewReader(""), false); err != nil {
			up.Abort()
			return 0, 0, err
		}
	}
	commit, err := up.Commit("in@master")
	if err != nil {
		return 0, 0, err
	}
	var (
		once  sync.Once
		start time.Time
		stats = t.srv.MetadataStats
		tx0   int64
	)
	first := func() {
		once.Do(func() {
			start = time.Now()
			st := stats()
			tx0 = st.Reads + st.Writes
		})
	}
	var retries atomic.Int64
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, claimWorkers)
	for w := range claimWorkers {
		go func() { errs <- simulateWorker(wctx, c, "claims", fmt.Sprintf("sim-%d", w), first, &retries) }()
	}
	if _, err := c.WaitCommit(ctx, commit.ID); err != nil {
		return 0, 0, fmt.Errorf("wait for the job: %w", err)
	}
	elapsed := time.Since(start)
	st := stats()
	cancel()
	for range claimWorkers {
		if err := <-errs; err != nil {
			return 0, 0, err
		}
	}
	js, err := c.WaitJob(ctx, "claims", commit.ID)
	if err == nil && (len(js) != 1 || js[0].State != tusk.JobSuccess || js[0].DataProcessed != int64(n)) {
		err = fmt.Errorf("the job: %+v, want SUCCESS with %d datums processed", js, n)
	}
	return elapsed, float64(st.Reads+st.Writes-tx0) / float64(n), err
}

// simulateWorker claims sets of datums of pipeline and reports each one
// done at once, until ctx ends; first is called when a set arrives, and
// retries counts the reports sent again.
func simulateWorker(ctx context.Context, c *client.Client, pipeline, id string, first func(), retries *atomic.Int64) error {
	for ctx.Err() == nil {
		tasks, err := c.NextTasks(ctx, pipeline, id, time.Second)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("worker %s: next: %w", id, err)
		}
		if len(tasks) == 0 {
			continue
		}
		first()
		now := time.Now()
		results := make([]tusk.TaskResult, len(tasks))
		for i, t := range tasks {
			results[i] = tusk.TaskResult{Pipeline: t.Pipeline, Job: t.Job, Datum: t.Datum, Claim: t.Claim, Worker: id,
				State: tusk.DatumSuccess, Started: &now, Finished: &now}
		}
		// As a worker does, a report the server failed for its own
		// reasons is sent again.
		for tries := 1; ; tries++ {
			err := c.Done(ctx, results)
			if err == nil || ctx.Err() != nil {
				break
			}
			if tries == 20 {
				return fmt.Errorf("worker %s: done: %w", id, err)
			}
			retries.Add(1)
			time.Sleep(time.Duration(tries) * 10 * time.Millisecond)
		}
	}
	return nil
}

// freshDatabase makes database name on the server of dsn and returns
// its DSN and a function that drops it.
func freshDatabase(ctx context.Context, dsn, name string) (string, func(), error) {
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", nil, err
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		admin.Close()
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() {
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "drop database %s: %v\n", name, err)
		}
		admin.Close()
	}
	return u.String(), drop, nil
}

// medianOf is the median of xs (nearest rank), 0 for none.
func medianOf(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[(len(s)+1)/2-1]
}
