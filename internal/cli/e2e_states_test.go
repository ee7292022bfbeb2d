package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/pachapi"
	"github.com/tuskdata/tusk/internal/testenv"
)

// failSpec's command complains on standard error and fails; after reads
// its output.
const failSpec = `{"pipeline": {"name": "fail"}, "transform": {"cmd": ["sh", "-c", "echo broken >&2; exit 3"]},
 "input": {"pfs": {"repo": "in", "glob": "/*"}}}
{"pipeline": {"name": "after"}, "transform": {"cmd": ["sh", "-c", "cp -r /pfs/fail/. /pfs/out/"]},
 "input": {"pfs": {"repo": "fail", "glob": "/"}}}`

// failWithin runs tusk, which must exit with status 1 within d, and returns
// its output.
func (e *e2e) failWithin(d time.Duration, args ...string) (stdout, stderr string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, tuskBin, args...)
	var out, errb bytes.Buffer
	cmd.Env, cmd.Dir, cmd.Stdout, cmd.Stderr = e.env, e.dir, &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		e.t.Fatalf("tusk %s: still running after %v", strings.Join(args, " "), d)
	}
	if ee := (*exec.ExitError)(nil); !errors.As(err, &ee) || ee.ExitCode() != exitError {
		e.t.Fatalf("tusk %s: %v, want exit status %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, exitError, &out, &errb)
	}
	return out.String(), errb.String()
}

func TestE2EWaitCommitReportsFailedJobs(t *testing.T) {
	e := startServer(t, processRunner...)
	e.run("create", "repo", "in")
	e.run("create", "pipeline", "-f", e.writeFile("fail.json", []byte(failSpec)))
	e.runIn(strings.NewReader("x\n"), "put", "file", "in@master:/x")
	id := object[pachapi.CommitInfo](e, "inspect", "commit", "in@master").Commit.ID

	// The input commit itself is fine.
	e.within(time.Minute, "wait", "commit", "in@master")

	stdout, stderr := e.failWithin(time.Minute, "wait", "commit", id)
	wantContains(t, "wait commit stdout", stdout, "in ", "fail ", "after ", "error: job FAILURE: datum ")
	wantContains(t, "wait commit stderr", stderr, "error: 2 commits failed:",
		"fail@"+id+": job FAILURE: datum ", "failed: command exited with code 3",
		"after@"+id+": job UNRUNNABLE: input commit fail@"+id, "tusk inspect job fail@"+id)
	if strings.Contains(stderr, "in@"+id) {
		t.Errorf("wait commit names the input commit, which did not fail:\n%s", stderr)
	}
	// -o json fails the same way, after printing every commit.
	out, stderr := e.failWithin(time.Minute, "wait", "commit", "fail@master", "-o", "json")
	if !strings.Contains(out, `"error":"job FAILURE: datum `) || !strings.Contains(stderr, "error: fail@"+id+": job FAILURE") {
		t.Errorf("wait commit fail@master -o json:\nstdout: %s\nstderr: %s\nwant the commit, then its error", out, stderr)
	}

	wantContains(t, "list commit", e.run("list", "commit", "fail"), id, "error: job FAILURE: datum ", "command exited with code 3")
	wantContains(t, "list job", e.run("list", "job", "-p", "fail"), "failure: datum ", "command exited with code 3")

	// JSON shows the command as written, not HTML-escaped.
	for _, args := range [][]string{{"inspect", "pipeline", "fail"}, {"list", "pipeline"}, {"inspect", "job", "fail@" + id}} {
		out := e.run(append(args, "-o", "json")...)
		if !strings.Contains(out, "echo broken >&2") || strings.Contains(out, `\u003e`) || strings.Contains(out, `\u0026`) {
			t.Errorf("tusk %s -o json escapes the command:\n%s", strings.Join(args, " "), out)
		}
	}
}

// A pipeline whose image cannot be pulled (its registry, on a port of
// 127.0.0.1 where nothing listens, refuses the connection) cannot start
// its workers: its job fails after --worker-start-timeout, saying why, and
// the pipeline is CRASHING.
func TestE2EJobFailsWhenWorkersCannotStart(t *testing.T) {
	testenv.Require(t, "docker", "TUSK_TEST_DOCKER")
	e := startServer(t, "--runner", "docker", "--worker-start-timeout", "1s")
	e.run("create", "repo", "in")
	spec := `{"pipeline": {"name": "ghost"}, "transform": {"image": "127.0.0.1:1/no-such-image:1", "cmd": ["true"]},
	 "input": {"pfs": {"repo": "in", "glob": "/*"}}}`
	e.run("create", "pipeline", "-f", e.writeFile("ghost.json", []byte(spec)))
	e.runIn(strings.NewReader("x\n"), "put", "file", "in@master:/x")
	id := e.headJob("ghost")

	// The engine's message, which names the registry's URL, follows.
	const why = `workers did not start within 1s: pull image 127.0.0.1:1/no-such-image:1: `
	_, stderr := e.failWithin(time.Minute, "wait", "commit", id)
	wantContains(t, "wait commit", stderr, "ghost@"+id+": job FAILURE: "+why, "127.0.0.1:1: connect: connection refused")
	wantContains(t, "list job", e.run("list", "job", "-p", "ghost"), id, "failure: "+why)
	if p := object[pachapi.PipelineInfo](e, "inspect", "pipeline", "ghost"); p.State != "PIPELINE_CRASHING" || !strings.Contains(p.Reason, "connection refused") {
		t.Errorf("pipeline ghost is %s (%q), want CRASHING for its registry's refusal", p.State, p.Reason)
	}
	resp, err := e.console().Get("http://" + e.addr + "/jobs/ghost/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	wantContains(t, "the console's job page", string(page), "FAILURE", "workers did not start within 1s", "pull image 127.0.0.1:1/no-such-image:1")
}
