package process_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/server"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
	"github.com/tuskdata/tusk/internal/tusktest"
)

var tuskBin string

func TestMain(m *testing.M) {
	os.Exit(testenv.RunWithBinary(m, &tuskBin))
}

// parent returns the parent of process pid, or 0.
func parent(pid int) int {
	stat, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := bytes.Fields(stat[i+1:])
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(string(f[1]))
	return ppid
}

type env struct {
	t   *testing.T
	ctx context.Context
	c   *client.Client
}

func start(t *testing.T) *env {
	t.Helper()
	return startIn(t, t.TempDir())
}

// startIn starts a server with the process runner on data directory dir,
// and makes the repo words.
func startIn(t *testing.T, dir string) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	_, c, _ := tusktest.StartServer(t, server.Config{DataDir: dir, Runner: "process", WorkerBinary: tuskBin})
	if _, err := c.CreateRepo(ctx, "words", ""); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, ctx: ctx, c: c}
}

// pipeline creates a pipeline over words/* that runs script with sh.
func (e *env) pipeline(name, script string) {
	e.t.Helper()
	spec := fmt.Sprintf(`{"pipeline": {"name": %q}, "input": {"pfs": {"repo": "words", "glob": "/*"}},
		"datum_tries": 1, "transform": {"cmd": ["sh", "-c", %q]}}`, name, script)
	if _, err := e.c.CreatePipeline(e.ctx, []byte(spec), false, false, false); err != nil {
		e.t.Fatalf("create pipeline: %v", err)
	}
}

// TestDatumProcessesEndWithTheDatum: what a datum's command leaves running,
// in the background or in a new session, is gone when the datum ends, and
// so cannot write into the next datum's /pfs/out.
func TestDatumProcessesEndWithTheDatum(t *testing.T) {
	e := start(t)
	sleep, marker := testenv.Marked(t)
	// Each datum marks its start in /pfs/out; the process it leaves in a
	// new session waits for another datum's mark and then writes "late".
	e.pipeline("leaves", fmt.Sprintf(`n=$(basename $words)
		touch $PFS/out/started-$n
		%[1]s 400 &
		setsid %[1]s 400 &
		setsid sh -c 'i=0; while [ $i -lt 150 ]; do
			for f in $PFS/out/started-*; do [ "$f" = "$PFS/out/started-'$n'" ] || { echo late > $PFS/out/late; exit 0; }; done
			i=$((i+1)); %[1]s 0.1; done' &
		%[1]s 1
		echo ok > $PFS/out/$n`, sleep))
	c := tusktest.Put(e.ctx, t, e.c, "words", "/a", "1\n", "/b", "2\n")
	if _, err := e.c.WaitCommit(e.ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if left := testenv.Running(marker); len(left) > 0 {
		t.Errorf("%d processes outlived their datums: %v", len(left), left)
	}
	var paths []string
	err := e.c.GlobFiles(e.ctx, "leaves@master", "/*", func(f tusk.FileInfo) error {
		paths = append(paths, f.Path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/a", "/b", "/started-a", "/started-b"}; !slices.Equal(paths, want) {
		t.Errorf("output files %v, want %v: a datum's leftover wrote into the other's /pfs/out", paths, want)
	}
}

// TestDatumProcessesEndWithTheirWorker: when a worker is killed in the
// middle of a datum, what the datum started goes with it.
func TestDatumProcessesEndWithTheirWorker(t *testing.T) {
	e := start(t)
	sleep, marker := testenv.Marked(t)
	once := filepath.Join(testenv.OpenDir(t, os.ModeSticky|0o777), "once")
	// The first attempt runs until its worker is killed; the next one,
	// on the restarted worker, finishes.
	e.pipeline("holds", fmt.Sprintf(`if [ ! -e %[2]s ]; then
			touch %[2]s
			setsid %[1]s 400 &
			%[1]s 400 &
			exec %[1]s 400
		fi
		echo ok > $PFS/out/$(basename $words)`, sleep, once))
	tusktest.Put(e.ctx, t, e.c, "words", "/a", "1\n")
	testenv.Eventually(t, 30*time.Second, "the datum's three processes run", func() bool { return len(testenv.Running(marker)) == 3 })
	// The worker is the parent of the datum's command (an unprivileged
	// worker without cgroups runs under another `tusk worker`, its init).
	var worker int
	for _, pid := range testenv.Running("worker\x00--pipeline\x00holds\x00") {
		for _, m := range testenv.Running(marker) {
			if parent(m) == pid {
				worker = pid
			}
		}
	}
	if worker == 0 {
		t.Fatal("no worker of pipeline holds is the parent of its datum's command")
	}
	if err := syscall.Kill(worker, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "the processes of the killed worker's datum end", func() bool { return len(testenv.Running(marker)) == 0 })
}
