package scheduler_test

import (
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

// A pipeline's last job state follows its job: RUNNING while the job
// runs, and its end as soon as the job has ended.
func TestLastJobStateFollowsTheJob(t *testing.T) {
	forStores(t, func(t *testing.T, dsn string) {
		e := newAPIEnv(t, dsn, time.Minute)
		e.input("in", "a")
		e.pipeline(`{"pipeline": {"name": "p"}, "input": {"pfs": {"repo": "in", "glob": "/*"}}, "transform": {"cmd": ["true"]}}`)
		last := func() string {
			p, err := e.pps.InspectPipeline(e.ctx, "p")
			if err != nil {
				t.Fatal(err)
			}
			return p.LastJobState
		}
		ts := e.claim("p", "w")
		if got := last(); got != tusk.JobRunning {
			t.Errorf("last job state while its datum runs = %q, want RUNNING", got)
		}
		e.done(e.result(ts[0], "w", "/a", "1"))
		if j := e.job("p", ts[0].Job); j.State != tusk.JobSuccess {
			t.Fatalf("job %s: %s", j.State, j.Reason)
		}
		if got := last(); got != tusk.JobSuccess {
			t.Errorf("last job state once the job succeeded = %q, want SUCCESS", got)
		}
	})
}
