package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/kubetest"
	"github.com/tuskdata/tusk/internal/kubetest/node"
	"github.com/tuskdata/tusk/internal/server"
	"github.com/tuskdata/tusk/internal/tusk"
)

var kubeScenario = scenario{
	name:  "kube",
	title: "kube runner beside the docker runner",
	note: "A real Kubernetes control plane (kube-apiserver, kube-scheduler, kube-controller-manager and etcd of " +
		"internal/kubetest, built by `.ci/kube.sh`, $TUSK_TEST_KUBE) and the test node agent " +
		"(internal/kubetest/node), which runs the pods bound to its Node as containers of the local Docker engine. " +
		"An in-process server with `--runner kube` listens on the node network's gateway, where the pods reach it; " +
		"Tusk's image is built FROM scratch from the static tusk binary stripped as scripts/image.sh builds it " +
		"(-ldflags \"-s -w\"), and the pipeline's image is " +
		"`tusk-test/busybox:latest` (built by `.ci/docker.sh`), both present on the engine. Beside it, an in-process " +
		"server with the docker runner (the same binary mounted into containers of the same image). Each round, for " +
		"each runner in turn: a fresh repo with one file, then a pipeline over it (glob `/*`, parallelism 4, command " +
		"`sh -c 'cat $in > /pfs/out/${in##*/}'`) is created; create→first datum is from the call to the first " +
		"datum's start as its record says (claimed by a worker), also shown: until the 4 workers run (pods Running, " +
		"or containers); the split of the kube runner's time is when the bench, looking at the pipeline's pods every " +
		"100 ms (the API's timestamps are whole seconds), first saw a pod made by the ReplicaSet, bound by the " +
		"scheduler, initialized (its init container copied Tusk's binary) and its worker container running, medians " +
		"over the rounds. Then one commit of 100 one-file datums; commit→SUCCESS is from the commit's return to " +
		"WaitCommit's (the job succeeded with 100 processed). The pipeline is then deleted and its pods or " +
		"containers are gone before the next. CPU is read around each phase: this process (server, node agent), its " +
		"children (the control plane's programs; the node agent talks to the engine over its API), the Docker engine (dockerd, " +
		"containerd, shims) and every container (the engine's cgroup), so another helper's containers count too. " +
		"Figures are medians over -rounds rounds. Without $TUSK_TEST_KUBE, a Docker engine or the image, the rows " +
		"read n/a.",
	run: runKube,
}

const (
	kubeDatums  = 100 // in the commit→SUCCESS job
	kubeWorkers = 4   // the pipeline's parallelism
)

// kubeRound is one round of one runner.
type kubeRound struct {
	first, up time.Duration // from create pipeline to the first datum's start, to the workers running
	job       jobRun        // the job of kubeDatums
	createCPU cpuSplit      // from create pipeline to the first job's end
	jobCPU    cpuSplit      // from the commit to the job's end
	pods      podSplit      // the steps of the first worker pod (kube)
}

// runnerUnderTest is a server of one runner and how to count its
// pipeline's workers.
type runnerUnderTest struct {
	name   string
	server *tuskServer
	// workers counts the workers of pipeline: those running, or all
	// that exist if !running.
	workers func(ctx context.Context, pipeline string, running bool) (int, error)
	// steps, if not nil, watches the steps of pipeline's pods from start
	// until the function it returns is called.
	steps  func(ctx context.Context, pipeline string, start time.Time) func() podSplit
	rounds []kubeRound
}

func runKube(ctx context.Context, b *bench) ([]row, error) {
	titles := []string{
		"create pipeline → first datum running (parallelism 4, image present)",
		fmt.Sprintf("commit → SUCCESS, %d one-file datums, %d worker pods", kubeDatums, kubeWorkers),
	}
	why := dockerMissing(ctx)
	if why == "" && os.Getenv(kubetest.EnvVar) == "" {
		why = "no control plane ($" + kubetest.EnvVar + " unset; run eval \"$(bash .ci/kube.sh)\")"
	}
	if why != "" {
		var rows []row
		for _, t := range titles {
			rows = append(rows, row{scenario: t, tusk: "n/a (" + why + ")", baseline: "-", ratio: "-", target: "-", result: "n/a"})
		}
		return rows, nil
	}
	dir, err := b.scratch("kube")
	if err != nil {
		return nil, err
	}
	// Tusk's image holds the binary as scripts/image.sh builds it,
	// stripped: the init container of every worker pod copies it.
	bin := filepath.Join(dir, "tusk-image-bin")
	if _, err := command(ctx, "", []string{"CGO_ENABLED=0"}, "go", "build", "-ldflags", "-s -w", "-o", bin, "./cmd/tusk"); err != nil {
		return nil, fmt.Errorf("build the binary of Tusk's image: %w", err)
	}
	image, err := buildTuskImage(ctx, bin, filepath.Join(dir, "image"))
	if err != nil {
		return nil, err
	}
	defer exec.Command("docker", "rmi", "--force", image).Run()

	b.log.Info("starting a control plane and a node agent")
	planeDir := filepath.Join(dir, "plane")
	if err := os.MkdirAll(planeDir, 0o755); err != nil {
		return nil, err
	}
	cluster, err := kubetest.Launch(planeDir, "bench")
	if err != nil {
		return nil, fmt.Errorf("control plane: %w", err)
	}
	defer cluster.Close()
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("component", "node")
	nd, err := node.New(ctx, node.Config{Client: cluster.Client, Dir: filepath.Join(dir, "node"), Logger: quiet})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := nd.Stop(); err != nil {
			b.log.Warn("node agent", "err", err)
		}
	}()

	ln, err := net.Listen("tcp", net.JoinHostPort(nd.Gateway, "0"))
	if err != nil {
		return nil, fmt.Errorf("listen on the node's gateway: %w", err)
	}
	kubeSrv, err := startServerOn(ctx, server.Config{DataDir: filepath.Join(dir, "kube-server"), Runner: "kube",
		Kube: server.KubeConfig{Kubeconfig: cluster.Kubeconfig, Namespace: cluster.Namespace, Image: image,
			ServerAddress: "http://" + ln.Addr().String()}}, ln)
	if err != nil {
		return nil, err
	}
	defer kubeSrv.stop()
	dockSrv, err := b.startPPS(ctx, filepath.Join(dir, "docker-server"), "docker")
	if err != nil {
		return nil, err
	}
	defer dockSrv.stop()
	instance, err := os.ReadFile(filepath.Join(dockSrv.dataDir, "instance"))
	if err != nil {
		return nil, fmt.Errorf("the docker runner's instance ID: %w", err)
	}

	kube := &runnerUnderTest{name: "kube", server: kubeSrv, workers: func(ctx context.Context, pipeline string, running bool) (int, error) {
		all, up, err := cluster.CountPods(ctx, "tusk.dev/pipeline="+pipeline)
		if running {
			return up, err
		}
		return all, err
	}, steps: func(ctx context.Context, pipeline string, start time.Time) func() podSplit {
		return cluster.WatchSteps(ctx, "tusk.dev/pipeline="+pipeline, start, podSplitEvery)
	}}
	dock := &runnerUnderTest{name: "docker", server: dockSrv, workers: func(ctx context.Context, pipeline string, running bool) (int, error) {
		return containers(ctx, running, "tusk.instance="+strings.TrimSpace(string(instance)), "tusk.pipeline="+pipeline)
	}}
	for round := range b.cfg.rounds {
		for _, r := range []*runnerUnderTest{kube, dock} {
			b.log.Info("kube scenario round", "round", round+1, "runner", r.name)
			kr, err := r.round(ctx, round)
			if err != nil {
				if r == kube {
					b.log.Error("kube round failed; the control plane's logs end", "logs", cluster.Logs())
				}
				return nil, fmt.Errorf("%s runner, round %d: %w", r.name, round+1, err)
			}
			b.log.Info("kube scenario round done", "runner", r.name, "first", kr.first.Round(time.Millisecond),
				"up", kr.up.Round(time.Millisecond), "job", kr.job.wall.Round(time.Millisecond),
				"create CPU", kr.createCPU.total().Round(time.Millisecond), "job CPU", kr.jobCPU.total().Round(time.Millisecond))
			r.rounds = append(r.rounds, kr)
		}
	}
	return kubeRows(titles, kube, dock), nil
}

// round creates a repo with one file and a pipeline over it, times the
// first datum and the workers' start, then times a job of kubeDatums,
// and deletes the pipeline; its workers are gone when it returns.
func (r *runnerUnderTest) round(ctx context.Context, round int) (kubeRound, error) {
	var kr kubeRound
	c := r.server.client
	repo, pipeline := fmt.Sprintf("in%d", round), fmt.Sprintf("cat%d", round)
	if _, err := c.CreateRepo(ctx, repo, ""); err != nil {
		return kr, fmt.Errorf("create repo: %w", err)
	}
	if _, err := commitFill(ctx, c, repo, putWords(0, 1)); err != nil {
		return kr, err
	}
	cpu := sampleCPU()
	start := time.Now()
	stopSteps := func() podSplit { return podSplit{} }
	if r.steps != nil {
		stopSteps = r.steps(ctx, pipeline, start)
	}
	defer stopSteps()
	if err := createPipeline(ctx, c, pipeline, repo, "/*", busybox, kubeWorkers, "sh", "-c", "cat $in > /pfs/out/${in##*/}"); err != nil {
		return kr, err
	}
	err := poll(ctx, 5*time.Minute, fmt.Sprintf("%d workers of %s run", kubeWorkers, pipeline), func() bool {
		n, err := r.workers(ctx, pipeline, true)
		return err == nil && n == kubeWorkers
	})
	if err != nil {
		return kr, err
	}
	kr.up = time.Since(start)
	first, err := firstDatum(ctx, c, pipeline)
	if err != nil {
		return kr, err
	}
	kr.first = first.Sub(start)
	kr.pods = stopSteps()
	kr.createCPU = sampleCPU().sub(cpu)

	cpu = sampleCPU()
	kr.job, err = commitAndWait(ctx, c, repo, pipeline, putWords(1, kubeDatums))
	if err == nil && kr.job.processed != kubeDatums {
		err = fmt.Errorf("job processed %d datums of %d (%d skipped)", kr.job.processed, kubeDatums, kr.job.skipped)
	}
	kr.jobCPU = sampleCPU().sub(cpu)
	if derr := c.DeletePipeline(ctx, pipeline, false); err == nil && derr != nil {
		err = fmt.Errorf("delete pipeline %s: %w", pipeline, derr)
	}
	if err != nil {
		return kr, err
	}
	return kr, poll(ctx, 5*time.Minute, "the workers of "+pipeline+" are gone", func() bool {
		n, err := r.workers(ctx, pipeline, false)
		return err == nil && n == 0
	})
}

// firstDatum waits for the first job of pipeline to succeed and returns
// when its first datum started.
func firstDatum(ctx context.Context, c *client.Client, pipeline string) (time.Time, error) {
	var id string
	err := poll(ctx, 5*time.Minute, "the first job of "+pipeline+" exists", func() bool {
		js, err := c.ListJobs(ctx, pipeline, "", 1)
		if err != nil || len(js) == 0 {
			return false
		}
		id = js[0].ID
		return true
	})
	if err != nil {
		return time.Time{}, err
	}
	if _, err := waitJob(ctx, c, pipeline, id); err != nil {
		return time.Time{}, err
	}
	var first time.Time
	err = c.ListDatums(ctx, pipeline, id, tusk.DatumSuccess, func(d tusk.DatumInfo) error {
		if d.Started != nil && (first.IsZero() || d.Started.Before(first)) {
			first = *d.Started
		}
		return nil
	})
	if err == nil && first.IsZero() {
		err = fmt.Errorf("no datum of the first job of %s has a start time", pipeline)
	}
	return first, err
}

// kubeRows makes the scenario's table rows from the rounds of both
// runners.
func kubeRows(titles []string, kube, dock *runnerUnderTest) []row {
	med := func(r *runnerUnderTest, f func(kubeRound) time.Duration) time.Duration {
		var ds []time.Duration
		for _, kr := range r.rounds {
			ds = append(ds, f(kr))
		}
		return quantile(ds, 0.5)
	}
	spread := func(r *runnerUnderTest, f func(kubeRound) time.Duration) string {
		var ds []time.Duration
		for _, kr := range r.rounds {
			ds = append(ds, f(kr))
		}
		if len(ds) < 2 {
			return ""
		}
		return fmt.Sprintf("; median of %d, %s–%s", len(ds), secs(slices.Min(ds)), secs(slices.Max(ds)))
	}
	first := func(kr kubeRound) time.Duration { return kr.first }
	up := func(kr kubeRound) time.Duration { return kr.up }
	job := func(kr kubeRound) time.Duration { return kr.job.wall }
	createCPU := func(kr kubeRound) time.Duration { return kr.createCPU.total() }
	jobCPU := func(kr kubeRound) time.Duration { return kr.jobCPU.total() }
	describe := func(r *runnerUnderTest, f, cpu func(kubeRound) time.Duration, split func(kubeRound) cpuSplit, extra string) string {
		return fmt.Sprintf("%s: %s (%s%s); CPU %s (%s)", r.name, secs(med(r, f)), extra, spread(r, f), secs(med(r, cpu)), medianSplit(r, cpu, split))
	}
	createSplit := func(kr kubeRound) cpuSplit { return kr.createCPU }
	jobSplit := func(kr kubeRound) cpuSplit { return kr.jobCPU }
	kf, df := med(kube, first), med(dock, first)
	kj, dj := med(kube, job), med(dock, job)
	return []row{{
		scenario: titles[0],
		tusk: describe(kube, first, createCPU, createSplit, "workers running after "+secs(med(kube, up))) + "; " +
			describePodSplit(medianPodSplit(podSplits(kube.rounds)), kf),
		baseline: describe(dock, first, createCPU, createSplit, "workers running after "+secs(med(dock, up))),
		ratio:    fmt.Sprintf("%s of the docker runner; CPU %s", ratio(float64(kf), float64(df)), ratio(float64(med(kube, createCPU)), float64(med(dock, createCPU)))),
		target:   "≤ 10 s on kube",
		result:   verdict(kf <= 10*time.Second),
	}, {
		scenario: titles[1],
		tusk:     describe(kube, job, jobCPU, jobSplit, fmt.Sprintf("%s/datum", perDatum(kj, kubeDatums))),
		baseline: describe(dock, job, jobCPU, jobSplit, fmt.Sprintf("%s/datum", perDatum(dj, kubeDatums))),
		ratio:    fmt.Sprintf("%s of the docker runner; CPU %s", ratio(float64(kj), float64(dj)), ratio(float64(med(kube, jobCPU)), float64(med(dock, jobCPU)))),
		target:   "≤ 1.5× the docker runner",
		result:   verdict(float64(kj) <= 1.5*float64(dj)),
	}}
}

// podSplits are the pod splits of rounds.
func podSplits(rounds []kubeRound) []podSplit {
	var out []podSplit
	for _, kr := range rounds {
		out = append(out, kr.pods)
	}
	return out
}

// medianSplit is the CPU split of the round whose total, by cpu, is the
// median.
func medianSplit(r *runnerUnderTest, cpu func(kubeRound) time.Duration, split func(kubeRound) cpuSplit) string {
	rs := slices.Clone(r.rounds)
	slices.SortFunc(rs, func(a, b kubeRound) int { return int(cpu(a) - cpu(b)) })
	return split(rs[(len(rs)+1)/2-1]).String()
}

// buildTuskImage builds Tusk's image as the repository's Dockerfile does,
// FROM scratch with the static binary bin at /tusk, in directory dir, and
// returns its name.
func buildTuskImage(ctx context.Context, bin, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "tusk"), data, 0o755); err != nil {
		return "", err
	}
	dockerfile := "FROM scratch\nCOPY tusk /tusk\nUSER 65532:65532\nENTRYPOINT [\"/tusk\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		return "", err
	}
	suffix := make([]byte, 4)
	rand.Read(suffix)
	name := "tusk-bench/tusk:" + hex.EncodeToString(suffix)
	if _, err := command(ctx, "", []string{"DOCKER_BUILDKIT=0"}, "docker", "build", "--quiet", "-t", name, dir); err != nil {
		return "", fmt.Errorf("build Tusk's image: %w", err)
	}
	return name, nil
}
