// Command bench runs Tusk's benchmarks side by side with baselines (cp +
// sync, restic, git) in one run, prints a table of ratios against the
// targets, and writes it with a description of the machine to
// docs/benchmarks.md.
//
//	go run ./bench                       # everything at full size
//	go run ./bench -scale 0.1            # a quick run: data shrunk 10×
//	go run ./bench -scale 1,skip=0.1     # full size but for one scenario
//	go run ./bench -only put,latency     # a subset
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/tuskdata/tusk/internal/blob/s3"
)

// serveArg, as the first argument, makes the binary a Tusk server process
// (for the put, smallfiles, RSS, plan and S3 scenarios); it is not a
// user-facing flag.
const serveArg = "__serve"

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if len(os.Args) >= 3 && os.Args[1] == serveArg {
		err = serveChild(ctx, os.Args[2:])
	} else {
		err = run(ctx, log, os.Args[1:])
	}
	if err != nil {
		log.Error("bench failed", "err", err)
		stop()
		os.Exit(1)
	}
}

// config is the parsed command line.
type config struct {
	scale      float64            // of data sizes and file counts
	scales     map[string]float64 // per scenario, overriding scale
	rounds     int
	only       map[string]bool
	out        string
	workdir    string
	cpuprofile string
	trace      string
	postgres   string // DSN of the PostgreSQL of the claims, failover and S3 scenarios
	s3         string // URL of the S3 scenario's bucket
	args       []string
}

func parseFlags(args []string) (config, error) {
	cfg := config{args: args}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	scale := fs.String("scale", "1", scaleUsage)
	fs.IntVar(&cfg.rounds, "rounds", 3, "timed rounds of the put, smallfiles, datums, docker, skip, claims and failover scenarios, and the least number of changes of the change scenario (5); figures are medians")
	only := fs.String("only", "", "comma-separated scenarios to run ("+strings.Join(scenarioNames(), ",")+"); default all")
	fs.StringVar(&cfg.out, "out", "docs/benchmarks.md", "markdown report to write (empty: none)")
	fs.StringVar(&cfg.workdir, "workdir", "", "directory for data and stores, kept afterwards (default: a temporary directory off tmpfs, removed afterwards)")
	fs.StringVar(&cfg.cpuprofile, "cpuprofile", "", "write a CPU profile of each scenario to PREFIX-SCENARIO.pprof; where the server runs as a process of its own (put, smallfiles, rss), that file profiles the client and each server process writes PREFIX-SCENARIO-server-PID.pprof; workers of the process runner write PREFIX-SCENARIO-worker-PID.pprof")
	fs.StringVar(&cfg.postgres, "postgres", os.Getenv("TUSK_TEST_POSTGRES"), "PostgreSQL DSN for the claims, failover and S3 scenarios, which make and drop databases of their own on it each round (default $TUSK_TEST_POSTGRES)")
	fs.StringVar(&cfg.s3, "s3", os.Getenv("TUSK_TEST_S3"), "S3 URL ("+s3.URLForm+") for the S3 scenario, which writes under a prefix of its own beneath it and deletes it afterwards (default $TUSK_TEST_S3)")
	fs.StringVar(&cfg.trace, "trace", "", "write an execution trace of each scenario (go tool trace) to PREFIX-SCENARIO.trace")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var err error
	if cfg.scale, cfg.scales, err = parseScale(*scale); err != nil {
		return cfg, err
	}
	if cfg.rounds < 1 {
		return cfg, fmt.Errorf("-rounds %d: want at least 1", cfg.rounds)
	}
	if *only != "" {
		cfg.only = map[string]bool{}
		known := strings.Join(scenarioNames(), ",")
		for _, n := range strings.Split(*only, ",") {
			n = strings.TrimSpace(n)
			if !strings.Contains(","+known+",", ","+n+",") {
				return cfg, fmt.Errorf("-only: unknown scenario %q (known: %s)", n, known)
			}
			cfg.only[n] = true
		}
	}
	return cfg, nil
}

func run(ctx context.Context, log *slog.Logger, args []string) error {
	cfg, err := parseFlags(args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	wd, cleanup, err := makeWorkdir(cfg.workdir)
	if err != nil {
		return err
	}
	defer cleanup()
	b := &bench{cfg: cfg, dir: wd, log: log, tools: findTools(ctx)}
	rep := report{started: time.Now(), cfg: cfg, machine: describeMachine(ctx, wd), tools: b.tools}
	log.Info("bench starting", "workdir", wd, "scale", cfg.scaleLabel())
	if b.tools.restic == "" || b.tools.git == "" || b.tools.aws == "" {
		log.Warn("baseline missing: its figures will read "+notInstalled, "restic", b.tools.restic != "", "git", b.tools.git != "",
			"aws", b.tools.aws != "", "install", installHint)
	}
	for _, sc := range scenarios {
		if !cfg.runs(sc.name) {
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		log.Info("scenario", "name", sc.name, "title", sc.title)
		start := time.Now()
		rows := b.runScenario(ctx, sc)
		log.Info("scenario done", "name", sc.name, "elapsed", time.Since(start).Round(time.Millisecond))
		rep.add(sc, rows)
	}
	rep.finished = time.Now()
	rep.loadEnd = loadAverage()
	fmt.Print(rep.table())
	if cfg.out == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(cfg.out), 0o755); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := os.WriteFile(cfg.out, []byte(rep.markdown()), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	log.Info("report written", "path", cfg.out)
	return nil
}
