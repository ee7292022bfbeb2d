package cli

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"time"

	"github.com/tuskdata/tusk/internal/pachapi"
	"github.com/tuskdata/tusk/internal/tusktest"
)

// Helpers of the end-to-end pipeline tests.

// within runs tusk, which must succeed within d: a hung wait is a failure
// to report, not a test that never ends.
func (e *e2e) within(d time.Duration, args ...string) string {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, tuskBin, args...)
	cmd.Env, cmd.Dir = e.env, e.dir
	out, err := cmd.Output()
	if ctx.Err() != nil {
		e.t.Fatalf("tusk %s: still running after %v", strings.Join(args, " "), d)
	}
	if err != nil {
		var stderr []byte
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			stderr = ee.Stderr
		}
		e.t.Fatalf("tusk %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr)
	}
	return string(out)
}

// headJob returns the ID of the newest commit on pipeline's output branch:
// the ID of the job making it.
func (e *e2e) headJob(pipeline string) string {
	e.t.Helper()
	return object[pachapi.CommitInfo](e, "inspect", "commit", pipeline+"@master").Commit.ID
}

// waitJobs waits until every commit of commit set id, and so every job
// making one, is finished.
func (e *e2e) waitJobs(id string) {
	e.t.Helper()
	e.within(time.Minute, "wait", "commit", id)
}

// jobState waits until a job is in state.
func (e *e2e) jobState(pipeline, id, state string) {
	e.t.Helper()
	e.eventually("job "+pipeline+"@"+id+" "+state, func() bool {
		for _, j := range lines[pachapi.JobInfo](e, "list", "job", "-p", pipeline) {
			if j.Job.ID == id && j.State == pachapi.JobState(state) {
				return true
			}
		}
		return false
	})
}

// follow starts a tusk command that keeps running, such as logs -f, and
// returns once it has printed its first line.
func (e *e2e) follow(args ...string) (*exec.Cmd, *tusktest.Buffer) {
	e.t.Helper()
	cmd := exec.Command(tuskBin, args...)
	out := &tusktest.Buffer{}
	cmd.Env, cmd.Dir, cmd.Stdout, cmd.Stderr = e.env, e.dir, out, out
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { cmd.Process.Kill() })
	e.eventually("tusk "+strings.Join(args, " ")+" prints a line", func() bool { return strings.Contains(out.String(), "\n") })
	return cmd, out
}

// eventually waits up to 30s for cond.
func (e *e2e) eventually(what string, cond func() bool) {
	e.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: not after 30s", what)
		}
	}
}

func jobIDs(js []pachapi.JobInfo) []string {
	ids := make([]string, len(js))
	for i, j := range js {
		ids[i] = j.Job.ID
	}
	return ids
}
