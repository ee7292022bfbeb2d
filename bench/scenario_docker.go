package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/tuskdata/tusk/internal/client"
)

var dockerScenario = scenario{
	name:  "docker",
	title: "per-datum overhead, docker runner",
	note: "An in-process server with the docker runner (the worker is one long-lived container of " +
		"`tusk-test/busybox:latest`, FROM scratch plus static busybox, built by `.ci/docker.sh`, with the static tusk " +
		"binary mounted as its entrypoint) and a pipeline of parallelism 1 over a repo, glob `/*`, command " +
		"`sh -c 'cat $in > /pfs/out/${in##*/}'`. A one-file warm-up job first, so that the container is up; " +
		"then, for -rounds rounds, a commit of 20 new files of a few words (the old ones are skipped) and the job's " +
		"own Started→Finished over 20 is the time per datum; the median round counts. The same on a second server " +
		"with the process runner is the limit (a worker process spawns `sh` per datum either way), and the target " +
		"compares the two. For scale, `docker run --rm tusk-test/busybox:latest sh -c 'cat /in > /out'` with the " +
		"file bind-mounted, 20 times in a row: what a container per datum would cost. Without a Docker engine or the " +
		"image, the row reads n/a.",
	run: runDocker,
}

// dockerDatums is how many datums each timed job of the docker scenario
// has.
const dockerDatums = 20

func runDocker(ctx context.Context, b *bench) ([]row, error) {
	const target = "≤ 1.5× the process runner"
	title := fmt.Sprintf("per-datum overhead, docker runner (%d one-file datums)", dockerDatums)
	if why := dockerMissing(ctx); why != "" {
		return []row{{scenario: title, tusk: "n/a (" + why + `; run eval "$(bash .ci/docker.sh)")`,
			baseline: "-", ratio: "-", target: target, result: "n/a"}}, nil
	}
	dir, err := b.scratch("docker")
	if err != nil {
		return nil, err
	}
	b.log.Info("docker runner jobs", "datums", dockerDatums, "rounds", b.cfg.rounds)
	dock, err := catJobs(ctx, b, filepath.Join(dir, "docker"), "docker")
	if err != nil {
		return nil, fmt.Errorf("docker runner: %w", err)
	}
	b.log.Info("process runner jobs", "datums", dockerDatums, "rounds", b.cfg.rounds)
	proc, err := catJobs(ctx, b, filepath.Join(dir, "process"), "process")
	if err != nil {
		return nil, fmt.Errorf("process runner: %w", err)
	}
	b.log.Info("docker run per datum", "runs", dockerDatums)
	runs, err := dockerRuns(ctx, dir)
	if err != nil {
		return nil, err
	}
	d, p := dock.median(), proc.median()
	return []row{{
		scenario: title,
		tusk:     fmt.Sprintf("%s/datum (job %s%s)", perDatum(d, dockerDatums), ms(d), semi(datumSpread(&dock, dockerDatums))),
		baseline: fmt.Sprintf("process runner %s/datum (job %s%s); `docker run --rm` per datum %s/datum",
			perDatum(p, dockerDatums), ms(p), semi(datumSpread(&proc, dockerDatums)), perDatum(runs, dockerDatums)),
		ratio:  fmt.Sprintf("%s of the process runner, %s of docker run", ratio(float64(d), float64(p)), ratio(float64(d), float64(runs))),
		target: target,
		result: verdict(float64(d) <= 1.5*float64(p)),
	}}, nil
}

// dockerMissing says why the docker runner cannot run here, or is empty.
func dockerMissing(ctx context.Context) string {
	if _, err := exec.LookPath("docker"); err != nil {
		return "no docker command"
	}
	if _, err := command(ctx, "", nil, "docker", "info"); err != nil {
		return "no Docker engine answers"
	}
	if _, err := command(ctx, "", nil, "docker", "image", "inspect", busybox); err != nil {
		return "no image " + busybox
	}
	return ""
}

// catJobs runs a pipeline cat over a repo docs on a server on dataDir with runner: a
// warm-up job, then a job of dockerDatums new files per round, whose own
// times it returns.
func catJobs(ctx context.Context, b *bench, dataDir, runner string) (samples, error) {
	var s samples
	t, err := b.startPPS(ctx, dataDir, runner)
	if err != nil {
		return s, err
	}
	defer t.stop()
	c := t.client
	if _, err := c.CreateRepo(ctx, "docs", ""); err != nil {
		return s, fmt.Errorf("create repo: %w", err)
	}
	if err := createPipeline(ctx, c, "cat", "docs", "/*", busybox, 1, "sh", "-c", "cat $in > /pfs/out/${in##*/}"); err != nil {
		return s, err
	}
	if _, err := commitAndWait(ctx, c, "docs", "cat", putWords(0, 1)); err != nil {
		return s, fmt.Errorf("warm-up job: %w", err)
	}
	for round := range b.cfg.rounds {
		r, err := commitAndWait(ctx, c, "docs", "cat", putWords(1+round*dockerDatums, dockerDatums))
		if err == nil && r.processed != dockerDatums {
			err = fmt.Errorf("job processed %d datums, want %d", r.processed, dockerDatums)
		}
		if err != nil {
			return s, err
		}
		s.add(r.job, nil)
	}
	return s, nil
}

// putWords fills an upload with files from to from+n-1 of a few words.
func putWords(from, n int) func(*client.Upload) error {
	return func(up *client.Upload) error {
		for i := from; i < from+n; i++ {
			if err := up.PutFile("/"+wordName(i), bytes.NewReader(wordContent(i)), false); err != nil {
				return err
			}
		}
		return nil
	}
}

// dockerRuns times dockerDatums `docker run`s in a row, each copying one
// bind-mounted file to another.
func dockerRuns(ctx context.Context, dir string) (time.Duration, error) {
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	if err := writeWordFiles(in, 0, dockerDatums); err != nil {
		return 0, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return 0, err
	}
	var total time.Duration
	for i := range dockerDatums {
		src, dst := filepath.Join(in, wordName(i)), filepath.Join(out, wordName(i))
		if err := os.WriteFile(dst, nil, 0o644); err != nil {
			return 0, err
		}
		d, err := command(ctx, "", nil, "docker", "run", "--rm", "-v", src+":/in:ro", "-v", dst+":/out", busybox, "sh", "-c", "cat /in > /out")
		if err != nil {
			return 0, err
		}
		total += d
	}
	return total, nil
}
