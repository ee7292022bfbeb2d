package docker_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/server"
	"github.com/tuskdata/tusk/internal/tusk"
	"github.com/tuskdata/tusk/internal/tusktest"
)

// e2e is a server with the docker runner, in this process, and a client.
type e2e struct {
	t        *testing.T
	ctx      context.Context
	c        *client.Client
	instance string // the label of the server's containers
}

func newE2E(t *testing.T) *e2e {
	t.Helper()
	return newE2EWith(t, server.Config{})
}

// newE2EWith is newE2E with the server's configuration cfg, whose data
// directory, runner and worker binary it sets.
func newE2EWith(t *testing.T, cfg server.Config) *e2e {
	t.Helper()
	eng := needDocker(t)
	bin := tuskBinary(t) // built before the test's deadline starts
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	dir := t.TempDir()
	cfg.DataDir, cfg.Runner, cfg.WorkerBinary = dir, "docker", bin
	_, c, stop := tusktest.StartServer(t, cfg)
	id, err := os.ReadFile(filepath.Join(dir, "instance"))
	if err != nil {
		t.Fatal(err)
	}
	e := &e2e{t: t, ctx: ctx, c: c, instance: strings.TrimSpace(string(id))}
	t.Cleanup(func() {
		stop()
		if n := len(eng.containers("tusk.instance=" + e.instance)); n != 0 {
			t.Errorf("%d worker containers left after the server closed", n)
		}
	})
	return e
}

// put commits path=content pairs to repo@master.
func (e *e2e) put(repo string, kv ...string) tusk.Commit {
	e.t.Helper()
	return tusktest.Put(e.ctx, e.t, e.c, repo, kv...)
}

// setup creates the repo words and a pipeline over it.
func (e *e2e) setup(spec string) {
	e.t.Helper()
	if _, err := e.c.CreateRepo(e.ctx, "words", ""); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.c.CreatePipeline(e.ctx, []byte(spec), false, false, false); err != nil {
		e.t.Fatalf("create pipeline: %v", err)
	}
}

// datums waits for the pipeline's newest job and returns its datums.
func (e *e2e) datums(pipeline string) []tusk.DatumInfo {
	e.t.Helper()
	js, err := e.c.ListJobs(e.ctx, pipeline, "", 1)
	if err != nil || len(js) == 0 {
		e.t.Fatalf("list jobs of %s: %v %v", pipeline, js, err)
	}
	var ds []tusk.DatumInfo
	err = e.c.ListDatums(e.ctx, pipeline, js[0].ID, "", func(d tusk.DatumInfo) error {
		ds = append(ds, d)
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return ds
}

func (e *e2e) read(ref string) string {
	e.t.Helper()
	rc, _, err := e.c.GetFile(e.ctx, ref, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

func TestPipelineInContainers(t *testing.T) {
	e := newE2E(t)
	e.setup(`{"pipeline": {"name": "wc"},
		"input": {"pfs": {"repo": "words", "glob": "/*"}},
		"parallelism_spec": {"constant": 2},
		"transform": {"image": "` + testImage + `",
			"cmd": ["sh", "-c", "wc -w < $words > /pfs/out/$(basename $words); echo done"]}}`)
	c := e.put("words", "/a.txt", "one two three\n", "/b.txt", "four five\n")
	if _, err := e.c.WaitCommit(e.ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{"/a.txt": "3", "/b.txt": "2"} {
		if got := strings.TrimSpace(e.read("wc@master:" + path)); got != want {
			t.Errorf("wc@master:%s = %q, want %q", path, got, want)
		}
	}
	imageID := needDocker(t).imageID(testImage)
	ds := e.datums("wc")
	if len(ds) != 2 {
		t.Fatalf("got %d datums, want 2", len(ds))
	}
	for _, d := range ds {
		if d.State != tusk.DatumSuccess || d.ImageID != imageID {
			t.Errorf("datum %s: state %s (%s), image %q; want success, %s", d.ID, d.State, d.Reason, d.ImageID, imageID)
		}
	}
}

// TestContainerIsContained: a container that runs as any user reaches the
// worker socket (its datums succeed) and gains no privileges; a link out
// of /pfs in /pfs/out fails its datum there as on the process runner.
func TestContainerIsContained(t *testing.T) {
	e := newE2E(t)
	e.setup(`{"pipeline": {"name": "status"},
		"input": {"pfs": {"repo": "words", "glob": "/*"}},
		"transform": {"image": "` + testImage + `", "user": "1000:1000",
			"cmd": ["sh", "-c", "grep -E '^(NoNewPrivs|CapBnd)' /proc/self/status > /pfs/out/status"]}}`)
	spec := `{"pipeline": {"name": "escape"},
		"input": {"pfs": {"repo": "words", "glob": "/*"}}, "datum_tries": 1,
		"transform": {"image": "` + testImage + `", "cmd": ["sh", "-c", "ln -s /etc/passwd /pfs/out/passwd"]}}`
	if _, err := e.c.CreatePipeline(e.ctx, []byte(spec), false, false, false); err != nil {
		t.Fatal(err)
	}
	c := e.put("words", "/a", "x\n")
	e.c.WaitCommit(e.ctx, c.ID) // escape fails

	status := e.read("status@master:/status")
	fields := map[string]string{}
	for line := range strings.Lines(status) {
		k, v, _ := strings.Cut(line, ":")
		fields[k] = strings.TrimSpace(v)
	}
	// CapBnd holds CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, SETGID and
	// SETUID: capabilities 0 to 7 but DAC_READ_SEARCH, 2.
	if fields["NoNewPrivs"] != "1" || fields["CapBnd"] != "00000000000000fb" {
		t.Errorf("in the container: %q; want NoNewPrivs 1, CapBnd 00000000000000fb (no raw sockets, devices, chroot)", status)
	}
	ds := e.datums("escape")
	if len(ds) != 1 || ds[0].State != tusk.DatumFailed || !strings.Contains(ds[0].Reason, "/passwd") || !strings.Contains(ds[0].Reason, "leads out of /pfs") {
		t.Errorf("datums of escape: %+v, want one failed naming /passwd, a link out of /pfs", ds)
	}
}

func TestDatumTimeoutInContainer(t *testing.T) {
	e := newE2E(t)
	e.setup(`{"pipeline": {"name": "sleeper"},
		"input": {"pfs": {"repo": "words", "glob": "/"}},
		"datum_timeout": "2s", "datum_tries": 1,
		"transform": {"image": "` + testImage + `", "cmd": ["sleep", "30"]}}`)
	start := time.Now()
	c := e.put("words", "/a.txt", "one\n")
	if _, err := e.c.WaitCommit(e.ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the job took %s; the datum should have been killed after 2s", took)
	}
	ds := e.datums("sleeper")
	if len(ds) != 1 || ds[0].State != tusk.DatumFailed || !strings.Contains(ds[0].Reason, "timeout") {
		t.Fatalf("datums = %+v, want one failed by the timeout", ds)
	}
}

// TestOrphansAreReapedInContainer: what user code leaves running, in its
// process group or a new session, is killed after its datum (the worker
// is a subreaper) and reaped.
func TestOrphansAreReapedInContainer(t *testing.T) {
	e := newE2E(t)
	e.setup(`{"pipeline": {"name": "ps"},
		"input": {"pfs": {"repo": "words", "glob": "/*"}},
		"transform": {"image": "` + testImage + `",
			"cmd": ["sh", "-c", "ps -o stat,args > /pfs/out/$(basename $words); sleep 1000 >/dev/null 2>&1 & setsid sleep 1001 >/dev/null 2>&1 &"]}}`)
	for _, path := range []string{"/a.txt", "/b.txt"} {
		c := e.put("words", path, "x\n")
		if _, err := e.c.WaitCommit(e.ctx, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	ps := e.read("ps@master:/b.txt")
	for line := range strings.Lines(ps) {
		if f := strings.Fields(line); len(f) > 1 && (strings.HasPrefix(f[0], "Z") || f[1] == "sleep") {
			t.Errorf("the first datum left a process behind:\n%s", ps)
			break
		}
	}
}

// TestForkLoopIsBoundedInContainer: a command that starts processes
// without end meets the container's pids limit (resource_limits.pids)
// and fails, rather than filling the host's process table.
func TestForkLoopIsBoundedInContainer(t *testing.T) {
	e := newE2E(t)
	e.setup(`{"pipeline": {"name": "forks"},
		"input": {"pfs": {"repo": "words", "glob": "/"}},
		"datum_tries": 1,
		"resource_limits": {"pids": 64},
		"transform": {"image": "` + testImage + `",
			"cmd": ["sh", "-c", "i=0; while [ $i -lt 500 ]; do i=$((i+1)); sleep 60 & done; echo all $i started > /pfs/out/started"]}}`)
	c := e.put("words", "/a.txt", "x\n")
	if _, err := e.c.WaitCommit(e.ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	ds := e.datums("forks")
	if len(ds) != 1 || ds[0].State != tusk.DatumFailed {
		t.Fatalf("datums = %+v, want one failed: its shell cannot fork past 64 processes", ds)
	}
	var logs []string
	err := e.c.Logs(e.ctx, "forks", "", "", false, func(l tusk.LogLine) error {
		logs = append(logs, l.Message)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if all := strings.Join(logs, "\n"); !strings.Contains(all, "can't fork") {
		t.Errorf("logs of the datum:\n%s\nwant the shell's \"can't fork\"", all)
	}
}
