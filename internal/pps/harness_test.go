package pps_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/server"
	"github.com/tuskdata/tusk/internal/tusk"
)

// tuskBin is the static tusk binary that workers run.
var tuskBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tusk-pps-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tuskBin = filepath.Join(dir, "tusk")
	build := exec.Command("go", "build", "-o", tuskBin, "github.com/tuskdata/tusk/cmd/tusk")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build tusk: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type env struct {
	t    *testing.T
	ctx  context.Context
	c    *client.Client
	dir  string
	stop func()
}

// newEnv runs a server with the process runner on a fresh data directory.
func newEnv(t *testing.T) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	e := &env{t: t, ctx: ctx, dir: t.TempDir()}
	e.start()
	t.Cleanup(func() { e.stop() })
	return e
}

func (e *env) start() {
	e.t.Helper()
	sctx, cancel := context.WithCancel(context.Background())
	s, err := server.New(sctx, server.Config{DataDir: e.dir, Runner: "process", WorkerBinary: tuskBin,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		e.t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		s.Serve(sctx, ln)
		close(done)
	}()
	e.stop = func() {
		cancel()
		<-done
		s.Close()
	}
	if e.c, err = client.New(ln.Addr().String()); err != nil {
		e.t.Fatal(err)
	}
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
