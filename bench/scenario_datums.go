package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tuskdata/tusk/internal/client"
)

var datumsScenario = scenario{
	name:  "datums",
	title: "10k one-file datums, process runner",
	note: "10k × scale text files of a few words in one directory, already in the page cache. Tusk: an in-process " +
		"server with the process runner (workers are `tusk worker` processes of a static binary built at the start); " +
		"a fresh repo and a pipeline over it (input `in`, glob `/*`, parallelism 2, command " +
		"`sh -c 'wc -w < $in > /pfs/out/${in##*/}'`), then one commit of every file. Timed from the commit's " +
		"return to WaitCommit's on its commit set (so the datums are listed, queued, run, their outputs uploaded and " +
		"the output commit finished); the job's own Started→Finished is shown too, the upload of the input is not " +
		"timed. Against `ls in | xargs -P2 -I{} sh -c 'wc -w < in/{} > out/{}'`: the same command per file, two at a " +
		"time, no version control; either side starts one `sh` and one `wc` per file (the pipeline takes the file's " +
		"name with the shell's `${in##*/}`, not a `basename` process). The two alternate for -rounds rounds (a new repo and pipeline each) and each " +
		"figure is the median; per datum is the time over the number of files. Also shown: the median time from a " +
		"datum's claim by a worker to the worker's report of its result (input download, command, output upload); " +
		"the rest of a worker's cycle (2 × the time per datum) goes between datums, to reporting and claiming. " +
		"CPU per datum is the median over the rounds of the CPU time, user and system, that the job cost the workers (as " +
		"/proc shows their processes before the pipeline is deleted), the commands they ran, and the bench's process " +
		"(the server, and the client's waiting), over the number of files.",
	run: runDatums,
}

func runDatums(ctx context.Context, b *bench) ([]row, error) {
	const target = "≤ 1.2× xargs -P2"
	in, n, t, err := startWithWords(ctx, b, "datums")
	if err != nil {
		return nil, err
	}
	defer t.stop()
	var wall, job, busy, xargs, workers, commands, server samples
	for round := 1; round <= b.cfg.rounds; round++ {
		b.log.Info("tusk pipeline", "round", round, "datums", n)
		r, d, err := datumsOnce(ctx, t.client, round, in, n, "/pfs/out")
		if err != nil {
			return nil, err
		}
		wall.add(r.wall, nil)
		job.add(r.job, nil)
		busy.add(d, nil)
		workers.add(r.workersCPU, nil)
		commands.add(r.commandsCPU, nil)
		server.add(r.serverCPU, nil)
		b.log.Info("xargs -P2", "round", round)
		xargs.add(xargsOnce(ctx, filepath.Dir(in)))
		if xargs.err != nil {
			break
		}
	}
	r := row{
		scenario: datumsTitle(n),
		tusk: fmt.Sprintf("%s/datum (%s from the commit to WaitCommit; the job's own %s, %s/datum; "+
			"on its worker a datum takes %s from claim to result; CPU per datum: the workers %s, their commands %s, "+
			"the server %s%s)",
			perDatum(wall.median(), n), secs(wall.median()), secs(job.median()), perDatum(job.median(), n),
			ms(busy.median()), perDatum(workers.median(), n), perDatum(commands.median(), n), perDatum(server.median(), n),
			semi(datumSpread(&wall, n))),
		target: target,
	}
	if xargs.err != nil {
		r.baseline, r.ratio, r.result = "xargs -P2: error: "+xargs.err.Error(), "-", "error"
		return []row{r}, nil
	}
	r.baseline = fmt.Sprintf("xargs -P2: %s/datum (%s%s)", perDatum(xargs.median(), n), secs(xargs.median()), semi(datumSpread(&xargs, n)))
	r.ratio = ratio(float64(wall.median()), float64(xargs.median())) + " of xargs"
	r.result = verdict(float64(wall.median()) <= 1.2*float64(xargs.median()))
	return []row{r}, nil
}

func datumsTitle(n int) string {
	return fmt.Sprintf("%s one-file datums, parallelism 2 (process runner)", countLabel(n))
}

// datumsOnce creates repo and pipeline number round, commits the files of
// dir and times the job, and returns the median time of a datum on its
// worker too; the pipeline is deleted afterwards, so that its workers
// stop. The command writes its count to out: "/pfs/out", or "$PFS/out"
// where a worker may have no /pfs mount.
func datumsOnce(ctx context.Context, c *client.Client, round int, dir string, n int, out string) (jobRun, time.Duration, error) {
	repo, pipeline := fmt.Sprintf("words%d", round), fmt.Sprintf("wc%d", round)
	if _, err := c.CreateRepo(ctx, repo, ""); err != nil {
		return jobRun{}, 0, fmt.Errorf("create repo: %w", err)
	}
	err := createPipeline(ctx, c, pipeline, repo, "/*", busybox, 2, "sh", "-c", "wc -w < $in > "+out+"/${in##*/}")
	if err != nil {
		return jobRun{}, 0, err
	}
	id, err := commitFill(ctx, c, repo, func(up *client.Upload) error {
		_, err := putDir(up, dir)
		return err
	})
	if err != nil {
		return jobRun{}, 0, err
	}
	workers, commands := workersCPU(pipeline)
	server := selfCPU()
	r, err := waitJob(ctx, c, pipeline, id)
	r.serverCPU = selfCPU() - server
	w, cmds := workersCPU(pipeline)
	r.workersCPU, r.commandsCPU = w-workers, cmds-commands
	if err == nil && r.processed != int64(n) {
		err = fmt.Errorf("job processed %d datums of %d (%d skipped)", r.processed, n, r.skipped)
	}
	var busy time.Duration
	if err == nil {
		busy, err = datumBusy(ctx, c, pipeline, r.id)
	}
	if derr := c.DeletePipeline(ctx, pipeline, false); err == nil && derr != nil {
		err = fmt.Errorf("delete pipeline %s: %w", pipeline, derr)
	}
	return r, busy, err
}

// xargsOnce runs the baseline over dir/in into a fresh dir/out.
func xargsOnce(ctx context.Context, dir string) (time.Duration, error) {
	out := filepath.Join(dir, "out")
	if err := os.RemoveAll(out); err != nil {
		return 0, err
	}
	if err := os.Mkdir(out, 0o755); err != nil {
		return 0, err
	}
	return command(ctx, dir, nil, "sh", "-c", "ls in | xargs -P2 -I{} sh -c 'wc -w < in/{} > out/{}'")
}

// writeWordFiles writes files number from to from+n-1, of a few words
// each and named wNNNNNNN.txt, into dir.
func writeWordFiles(dir string, from, n int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	for i := from; i < from+n; i++ {
		p := filepath.Join(dir, wordName(i))
		if err := os.WriteFile(p, wordContent(i), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	return nil
}

// wordName is the name of the i-th file of a few words.
func wordName(i int) string { return fmt.Sprintf("w%07d.txt", i) }

// wordContent is the content of the i-th file of a few words.
func wordContent(i int) []byte { return fmt.Appendf(nil, "file %d of the datums benchmark\n", i) }

// startWithWords writes the word files of a datums-like scenario (10k ×
// scale) into its scratch directory, syncs them, and starts an in-process
// server with the process runner.
func startWithWords(ctx context.Context, b *bench, scenario string) (in string, n int, t *tuskServer, err error) {
	dir, err := b.scratch(scenario)
	if err != nil {
		return "", 0, nil, err
	}
	n = b.count(10_000)
	in = filepath.Join(dir, "in")
	b.log.Info("generating", "files", n, "dir", in)
	if err := writeWordFiles(in, 0, n); err != nil {
		return "", 0, nil, err
	}
	if err := syncAll(ctx); err != nil {
		return "", 0, nil, err
	}
	t, err = b.startPPS(ctx, filepath.Join(dir, "tusk"), "process")
	return in, n, t, err
}
