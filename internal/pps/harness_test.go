package pps_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/server"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
	"github.com/tuskdata/tusk/internal/tusktest"
)

// tuskBin is the static tusk binary that workers run.
var tuskBin string

func TestMain(m *testing.M) {
	os.Exit(testenv.RunWithBinary(m, &tuskBin))
}

type env struct {
	t     *testing.T
	ctx   context.Context
	c     *client.Client
	dir   string
	lease time.Duration
	stop  func()
}

// newEnv runs a server with the process runner on a fresh data directory.
func newEnv(t *testing.T) *env {
	return newEnvLease(t, 0)
}

// newEnvLease is newEnv with datum leases of lease (0: the default).
func newEnvLease(t *testing.T, lease time.Duration) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	e := &env{t: t, ctx: ctx, dir: t.TempDir(), lease: lease}
	e.start()
	return e
}

// start runs a server on e.dir until e.stop is called or the test ends.
func (e *env) start() {
	e.t.Helper()
	_, e.c, e.stop = tusktest.StartServer(e.t, server.Config{DataDir: e.dir, Runner: "process", WorkerBinary: tuskBin,
		EgressDirs: []string{filepath.Join(e.dir, "egress")}, DatumLease: e.lease})
}

func (e *env) repo(name string) {
	e.t.Helper()
	if _, err := e.c.CreateRepo(e.ctx, name, ""); err != nil {
		e.t.Fatal(err)
	}
}

// put writes path=content pairs (and deletes paths given with content
// "<delete>") to repo@master in one commit.
func (e *env) put(repo string, kv ...string) tusk.Commit {
	e.t.Helper()
	up, err := e.c.NewUpload(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "<delete>" {
			up.DeleteFile(kv[i])
			continue
		}
		if err := up.PutFile(kv[i], strings.NewReader(kv[i+1]), false); err != nil {
			e.t.Fatal(err)
		}
	}
	c, err := up.Commit(repo + "@master")
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) pipeline(spec string) {
	e.t.Helper()
	if _, err := e.c.CreatePipeline(e.ctx, []byte(spec), false, false, false); err != nil {
		e.t.Fatalf("create pipeline: %v", err)
	}
}

// wait waits for every commit of a commit set.
func (e *env) wait(id string) []tusk.Commit {
	e.t.Helper()
	cs, err := e.c.WaitCommit(e.ctx, id)
	if err != nil {
		e.t.Fatalf("wait commit %s: %v", id, err)
	}
	return cs
}

// lastJob waits for the pipeline's newest job to end and returns it.
func (e *env) lastJob(pipeline string) tusk.JobInfo {
	e.t.Helper()
	js, err := e.c.ListJobs(e.ctx, pipeline, "", 1)
	if err != nil || len(js) == 0 {
		e.t.Fatalf("list jobs of %s: %v %v", pipeline, js, err)
	}
	done, err := e.c.WaitJob(e.ctx, pipeline, js[0].ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return done[0]
}

// files returns every path=content of a commit.
func (e *env) files(ref string) map[string]string {
	e.t.Helper()
	out := map[string]string{}
	var paths []string
	err := e.c.WalkFiles(e.ctx, ref, func(fi tusk.FileInfo) error {
		paths = append(paths, fi.Path)
		return nil
	})
	if err != nil {
		e.t.Fatalf("walk %s: %v", ref, err)
	}
	for _, p := range paths {
		rc, _, err := e.c.GetFile(e.ctx, ref+":"+p, 0)
		if err != nil {
			e.t.Fatal(err)
		}
		var b bytes.Buffer
		io.Copy(&b, rc)
		rc.Close()
		out[p] = b.String()
	}
	return out
}
