package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// TestKill9 kills the server process with SIGKILL at random moments of a
// loop of writes, at least 50 times, restarting it on the same data each
// time. Every commit whose write returned must then read back
// byte-identical, and fsck must report no damage.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a server 50 times")
	}
	rng := rand.New(rand.NewPCG(testSeed(t), 9))
	dir := t.TempDir()
	ctx := context.Background()
	type file struct {
		commit, path string
		data         []byte
	}
	var finished []file
	kills := 0
	for kills < 50 {
		c, stop := startChild(t, dir)
		if kills == 0 {
			if _, err := c.CreateRepo(ctx, "data", ""); err != nil {
				t.Fatal(err)
			}
		}
		// Everything that finished before must have survived.
		for _, f := range finished {
			if got := getFile(t, c, "data@"+f.commit+":"+f.path); !bytes.Equal(got, f.data) {
				t.Fatalf("after %d kills: %s:%s reads %d bytes, want %d", kills, f.commit, f.path, len(got), len(f.data))
			}
		}
		deadline := time.After(time.Duration(5+rng.IntN(120)) * time.Millisecond)
		results := make(chan file, 64)
		wctx, cancel := context.WithCancel(ctx)
		go func() {
			defer close(results)
			for i := 0; wctx.Err() == nil; i++ {
				up, err := c.NewUpload(wctx)
				if err != nil {
					return
				}
				p := fmt.Sprintf("/k%d/f%d", kills, i)
				data := make([]byte, 1+rng.IntN(600_000))
				for j := range data {
					data[j] = byte(rng.UintN(256))
				}
				if err := up.PutFile(p, bytes.NewReader(data), false); err != nil {
					up.Abort()
					return
				}
				cm, err := up.Commit("data@master")
				if err != nil {
					return
				}
				results <- file{cm.ID, p, data}
			}
		}()
		<-deadline
		stop() // SIGKILL
		kills++
		cancel()
		for f := range results {
			finished = append(finished, f)
		}
	}
	c, stop := startChild(t, dir)
	defer stop()
	for _, f := range finished {
		if got := getFile(t, c, "data@"+f.commit+":"+f.path); !bytes.Equal(got, f.data) {
			t.Fatalf("after all kills: %s:%s differs", f.commit, f.path)
		}
	}
	rep, err := c.Fsck(ctx, false)
	if err != nil || len(rep.Damage) != 0 {
		t.Fatalf("fsck: %+v, %v", rep, err)
	}
	t.Logf("%d kills, %d finished commits verified, fsck checked %d chunks", kills, len(finished), rep.Chunks)
	if len(finished) < 3 {
		t.Errorf("only %d writes finished between kills: the test exercised too little", len(finished))
	}
}

// testSeed returns $TUSK_TEST_SEED, or else a new seed, and logs it.
func testSeed(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("TUSK_TEST_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (rerun with TUSK_TEST_SEED=%d)", seed, seed)
	return seed
}

// startChild starts this test binary as a server on dir, with env added
// to its environment, and returns a client and a function that kills it
// with SIGKILL.
func startChild(t *testing.T, dir string, env ...string) (*client.Client, func()) {
	t.Helper()
	c, _, kill := startChildProc(t, dir, env...)
	return c, kill
}

// startChildProc is startChild that also returns the server's PID.
func startChildProc(t *testing.T, dir string, env ...string) (*client.Client, int, func()) {
	t.Helper()
	os.Remove(filepath.Join(dir, "addr"))
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), "TUSK_TEST_SERVE_DIR="+dir), env...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var addr []byte
	for i := 0; ; i++ {
		var err error
		if addr, err = os.ReadFile(filepath.Join(dir, "addr")); err == nil {
			break
		}
		if i == 1000 {
			cmd.Process.Kill()
			t.Fatal("server did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	token, err := os.ReadFile(filepath.Join(dir, "token"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(string(addr), client.WithToken(string(token)))
	if err != nil {
		t.Fatal(err)
	}
	return c, cmd.Process.Pid, func() {
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
}

// TestKill9MidJob kills the server with SIGKILL while a job runs, with
// some datums done and others running, and starts it again on the same
// data: the job must resume and finish with every output exactly once.
func TestKill9MidJob(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the tusk binary and runs a pipeline")
	}
	bin, cleanup, err := testenv.BuildBinary()
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	ctx := context.Background()
	dir := t.TempDir()
	env := "TUSK_TEST_WORKER_BINARY=" + bin
	c, kill := startChild(t, dir, env)
	if _, err := c.CreateRepo(ctx, "in", ""); err != nil {
		t.Fatal(err)
	}
	var kv []string
	for i := range 12 {
		kv = append(kv, fmt.Sprintf("/f%02d", i), fmt.Sprintf("content %d", i))
	}
	up, err := c.NewUpload(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(kv); i += 2 {
		if err := up.PutFile(kv[i], strings.NewReader(kv[i+1]), false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := up.Commit("in@master"); err != nil {
		t.Fatal(err)
	}
	spec := `{"pipeline": {"name": "slowcopy"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"parallelism_spec": {"constant": 2},
		"transform": {"cmd": ["sh", "-c", "sleep 0.3; cp $in /pfs/out/"]}}`
	if _, err := c.CreatePipeline(ctx, []byte(spec), false, false, false); err != nil {
		t.Fatal(err)
	}
	var job tusk.JobInfo
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		js, err := c.ListJobs(ctx, "slowcopy", "", 1)
		if err == nil && len(js) == 1 {
			job = js[0]
		}
		if job.DataProcessed >= 2 || time.Now().After(deadline) {
			break
		}
	}
	if job.DataProcessed < 2 || tusk.JobDone(job.State) {
		t.Fatalf("job before the kill: %+v; want some datums done and the job running", job)
	}
	kill()

	c, kill = startChild(t, dir, env)
	defer kill()
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	done, err := c.WaitJob(wctx, "slowcopy", job.ID)
	if err != nil || len(done) != 1 || done[0].State != tusk.JobSuccess {
		t.Fatalf("job after the restart: %+v, %v", done, err)
	}
	if done[0].DataProcessed+done[0].DataSkipped != 12 || done[0].DataFailed != 0 {
		t.Errorf("job counts after the restart: %+v; want 12 datums, none failed", done[0])
	}
	var paths []string
	err = c.WalkFiles(ctx, "slowcopy@master:/", func(f tusk.FileInfo) error {
		paths = append(paths, f.Path)
		return nil
	})
	if err != nil || len(paths) != 12 {
		t.Fatalf("outputs after the restart: %v, %v; want 12 files", paths, err)
	}
	for i := 0; i < len(kv); i += 2 {
		if got := getFile(t, c, "slowcopy@master:"+kv[i]); string(got) != kv[i+1] {
			t.Errorf("%s = %q, want %q", kv[i], got, kv[i+1])
		}
	}
}

func getFile(t *testing.T, c *client.Client, ref string) []byte {
	t.Helper()
	r, _, err := c.GetFile(context.Background(), ref, 0)
	if err != nil {
		t.Fatalf("get %s: %v", ref, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("get %s: %v", ref, err)
	}
	return b
}
