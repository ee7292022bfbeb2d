package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// TestChaos kills the server and its workers with SIGKILL at random
// moments while clients put files, append to a log and a pipeline with
// datum_tries 1 processes every put, restarting the server on the same
// data each time. Then every write that was reported done must be there
// intact (an append exactly once), every job must have succeeded, since
// no crash may cost a datum one of its tries, and the pipeline's output
// must hold each input exactly once. TUSK_CHAOS_KILLS sets the number of
// server kills (5 by default; the benchmark run in docs/benchmarks.md
// uses more).
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a server running a pipeline")
	}
	kills := 5
	if s := os.Getenv("TUSK_CHAOS_KILLS"); s != "" {
		kills, _ = strconv.Atoi(s)
	}
	rng := rand.New(rand.NewPCG(testSeed(t), 10))
	bin, cleanup, err := testenv.BuildBinary()
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	ctx := context.Background()
	dir := t.TempDir()
	env := "TUSK_TEST_WORKER_BINARY=" + bin

	c, srv, kill := startChildProc(t, dir, env)
	for _, r := range []string{"in", "log"} {
		if _, err := c.CreateRepo(ctx, r, ""); err != nil {
			t.Fatal(err)
		}
	}
	spec := `{"pipeline": {"name": "chaos"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"parallelism_spec": {"constant": 2}, "datum_tries": 1,
		"transform": {"cmd": ["sh", "-c", "sleep 0.05; cp $in /pfs/out/"]}}`
	if _, err := c.CreatePipeline(ctx, []byte(spec), false, false, false); err != nil {
		t.Fatal(err)
	}

	type put struct {
		commit, path string
		data         []byte
	}
	var (
		mu          sync.Mutex
		puts        []put
		acked       = map[string]bool{} // log lines whose append was reported done
		tried       = map[string]bool{} // every log line sent
		workerKills int
	)
	for k := 0; k < kills; k++ {
		if k > 0 {
			c, srv, kill = startChildProc(t, dir, env)
		}
		for _, p := range puts {
			if got := getFile(t, c, "in@"+p.commit+":"+p.path); !bytes.Equal(got, p.data) {
				t.Fatalf("after %d kills: in@%s:%s reads %d bytes, want %d", k, p.commit, p.path, len(got), len(p.data))
			}
		}
		wctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := 0; wctx.Err() == nil; i++ {
				p := fmt.Sprintf("/k%d-%d", k, i)
				data := []byte(strings.Repeat(p, 1+i%50))
				if cm, err := putOne(wctx, c, "in@master", p, data, false); err == nil {
					mu.Lock()
					puts = append(puts, put{cm.ID, p, data})
					mu.Unlock()
				}
			}
		})
		wg.Go(func() {
			for i := 0; wctx.Err() == nil; i++ {
				line := fmt.Sprintf("k%d-%d", k, i)
				mu.Lock()
				tried[line] = true
				mu.Unlock()
				if _, err := putOne(wctx, c, "log@master", "/log", []byte(line+"\n"), true); err == nil {
					mu.Lock()
					acked[line] = true
					mu.Unlock()
				}
			}
		})
		lifetime := time.Duration(300+rng.IntN(900)) * time.Millisecond
		for end := time.Now().Add(lifetime); time.Now().Before(end); {
			// Random moments are the point: a kill may land anywhere in a
			// put, an append or a datum.
			time.Sleep(time.Duration(100+rng.IntN(400)) * time.Millisecond)
			if ws := workers(srv); len(ws) > 0 && rng.IntN(2) == 0 {
				syscall.Kill(ws[rng.IntN(len(ws))], syscall.SIGKILL)
				workerKills++
			}
		}
		kill()
		cancel()
		wg.Wait()
	}

	c, _, kill = startChildProc(t, dir, env)
	defer kill()
	losses := 0 // writes reported done and not there intact, failed jobs, wrong outputs
	lost := func(format string, args ...any) {
		t.Helper()
		losses++
		t.Errorf(format, args...)
	}
	for _, p := range puts {
		if got := getFile(t, c, "in@"+p.commit+":"+p.path); !bytes.Equal(got, p.data) {
			lost("after all kills: in@%s:%s differs", p.commit, p.path)
		}
	}
	lines := map[string]int{}
	for _, l := range strings.Split(strings.TrimSuffix(string(getFile(t, c, "log@master:/log")), "\n"), "\n") {
		lines[l]++
	}
	for l, n := range lines {
		if !tried[l] || n > 1 {
			lost("log line %q is there %d times; sent: %v", l, n, tried[l])
		}
	}
	for l := range acked {
		if lines[l] != 1 {
			lost("the append of %q was reported done, and the log holds it %d times", l, lines[l])
		}
	}

	wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	head, err := c.InspectCommit(wctx, "in@master")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitCommit(wctx, head.ID); err != nil {
		t.Fatalf("wait for the last input commit's job: %v", err)
	}
	jobs, err := c.ListJobs(wctx, "chaos", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if j.State != tusk.JobSuccess {
			lost("job %s: %s (%s); processed %d, failed %d", j.ID, j.State, j.Reason, j.DataProcessed, j.DataFailed)
		}
	}
	want := map[string]string{}
	err = c.WalkFiles(wctx, "in@master:/", func(f tusk.FileInfo) error {
		want[f.Path] = string(getFile(t, c, "in@master:"+f.Path))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	err = c.WalkFiles(wctx, "chaos@master:/", func(f tusk.FileInfo) error {
		got++
		if b := getFile(t, c, "chaos@master:"+f.Path); string(b) != want[f.Path] {
			lost("output %s differs from its input", f.Path)
		}
		return nil
	})
	if err != nil || got != len(want) {
		lost("the output holds %d files, the input %d (%v)", got, len(want), err)
	}
	rep, err := c.Fsck(wctx, false)
	if err != nil || len(rep.Damage) != 0 {
		t.Fatalf("fsck: %+v, %v", rep, err)
	}
	sum := chaosSummary{ServerKills: kills, WorkerKills: workerKills, Puts: len(puts), Appends: len(acked), Jobs: len(jobs), Losses: losses}
	t.Logf("%+v", sum)
	if out := os.Getenv("TUSK_CHAOS_REPORT"); out != "" {
		b, _ := json.Marshal(sum)
		if err := os.WriteFile(out, b, 0o644); err != nil {
			t.Error(err)
		}
	}
	if len(puts) == 0 || len(acked) == 0 {
		t.Errorf("only %d puts and %d appends finished between kills: the test exercised too little", len(puts), len(acked))
	}
}

// chaosSummary is what TestChaos did and found, written as JSON to
// $TUSK_CHAOS_REPORT for the benchmark run.
type chaosSummary struct {
	ServerKills, WorkerKills int
	Puts, Appends, Jobs      int // reported done, then checked
	Losses                   int // must be 0
}

// putOne writes one file (or appends to it) as one commit.
func putOne(ctx context.Context, c *client.Client, ref, path string, data []byte, appendTo bool) (tusk.Commit, error) {
	up, err := c.NewUpload(ctx)
	if err != nil {
		return tusk.Commit{}, err
	}
	if err := up.PutFile(path, bytes.NewReader(data), appendTo); err != nil {
		up.Abort()
		return tusk.Commit{}, err
	}
	return up.Commit(ref)
}

// workers returns the PIDs of the `tusk worker` processes below the
// server process pid.
func workers(pid int) []int {
	parent := map[int]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The fields after the command name, which may hold spaces.
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) > 1 {
			parent[p], _ = strconv.Atoi(f[1])
		}
	}
	var out []int
	for p := range parent {
		below := false
		for q := parent[p]; q > 1 && !below; q = parent[q] {
			below = q == pid
		}
		if !below {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "cmdline"))
		if args := bytes.Split(cmd, []byte{0}); len(args) > 1 && string(args[1]) == "worker" {
			out = append(out, p)
		}
	}
	// A worker's child between fork and exec still shows the worker's
	// command line: it is a datum's command, whose kill would fail the
	// datum (datum_tries 1), not a worker crash. Workers are never
	// children of workers.
	isWorker := map[int]bool{}
	for _, p := range out {
		isWorker[p] = true
	}
	return slices.DeleteFunc(out, func(p int) bool { return isWorker[parent[p]] })
}
