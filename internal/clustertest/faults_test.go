package clustertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// The pipeline of the test: each datum appends a line (the worker's name
// and a run ID of its own) to a file named after its input in the
// directory runs/ of the host, mounted into the workers, so that the test
// counts the executions whatever happens to the containers; sleeps, so
// that faults hit datums in hand; and writes its input to the output
// under its name followed by the run ID, so that an output landing twice
// shows as two files. datum_tries is 1: the command never fails, so a
// datum FAILED, which fails the job, is a fault taken for the command's.
const (
	pipeline = "count"
	datumCmd = `f=${in##*/}; run=$(cat /proc/sys/kernel/random/uuid); echo "$(hostname) $run" >> /runs/$f; sleep 0.5; cp "$in" "/pfs/out/$f-$run"`
	perJob   = 24 // datums of each job
)

// A fault is done to one container during a job, once a quarter of its
// datums are done, and undone once the job ended.
type fault struct {
	name   string
	leader bool // done to the leader (else to a worker): the failover is timed
	do     func(c *cluster, victim string) (undo func())
}

var faults = []fault{
	{name: "kill a worker", do: kill},
	{name: "pause a worker", do: pause},
	{name: "disconnect a worker", do: disconnect},
	{name: "drop a worker's packets", do: (*cluster).drop},
	{name: "kill the leader", leader: true, do: kill},
	{name: "pause the leader", leader: true, do: pause},
	{name: "disconnect the leader", leader: true, do: disconnect},
	{name: "drop the leader's packets", leader: true, do: (*cluster).drop},
}

// kill crashes the container (SIGKILL); undone, it starts again.
func kill(c *cluster, victim string) func() {
	docker(c.t, "kill", victim)
	c.forget(victim)
	return func() {
		docker(c.t, "start", victim)
		c.forget(victim)
	}
}

// pause freezes the container's processes; its kernel still answers.
func pause(c *cluster, victim string) func() {
	docker(c.t, "pause", victim)
	return func() { docker(c.t, "unpause", victim) }
}

// disconnect takes the container off the network: a clean partition.
func disconnect(c *cluster, victim string) func() {
	docker(c.t, "network", "disconnect", c.network, victim)
	c.forget(victim)
	return func() {
		docker(c.t, "network", "connect", c.network, victim)
		c.forget(victim)
	}
}

// TestFaults runs jobs of a pipeline on the cluster, one without a fault,
// then one per fault, each to a worker (a different one each time) or to
// the leader, then one more without: every job must succeed, with the
// output of each of its inputs exactly once, every commit made before
// must still be there, and every worker, whatever was done to it, must
// run datums of the last job. It logs the executions of each job's
// datums (faults run some twice, whose outputs land once) and, for the
// faults of the leader, the time from the fault to the other server
// leading, to the next datum started and to the end of the job.
func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("a cluster in containers; skipped with -short")
	}
	c := newCluster(t)
	ctx := t.Context()
	api := c.api(c.leader())
	if _, err := api.CreateRepo(ctx, "in", ""); err != nil {
		t.Fatal(err)
	}
	spec, _ := json.Marshal(map[string]any{
		"pipeline":         map[string]string{"name": pipeline},
		"input":            map[string]any{"pfs": map[string]string{"name": "in", "repo": "in", "glob": "/*"}},
		"transform":        map[string]any{"image": "busybox", "cmd": []string{"sh", "-c", datumCmd}},
		"parallelism_spec": map[string]int{"constant": 4},
		"datum_tries":      1,
	})
	if _, err := api.CreatePipeline(ctx, spec, false, false, false); err != nil {
		t.Fatal(err)
	}
	token, err := api.WorkerToken(ctx, pipeline, "")
	if err != nil {
		t.Fatal(err)
	}
	c.startWorkers(pipeline, token.Token, 4)

	// Each job is a subtest, so that -run picks faults (the first and
	// the last job run whatever -run says, being needed by the others).
	r := &run{c: c}
	r.job(t, "no fault", nil, "")
	for i, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			defer c.use(t)()
			victim := c.workers[i%len(c.workers)]
			if f.leader {
				victim = c.leader()
			}
			r.job(t, f.name, &f, victim)
		})
	}
	inputs := r.job(t, "no fault, after the faults", nil, "")
	ran := map[string]bool{}
	for _, in := range inputs {
		for _, e := range r.executions(in) {
			ran[e.worker] = true
		}
	}
	for _, w := range c.workers {
		if !ran[w] {
			t.Errorf("worker %s ran no datum of the last job: it did not come back from its fault", w)
		}
	}
}

// A run is the jobs of a test, one after the other.
type run struct {
	c       *cluster
	inputs  []string // every input so far, by path
	commits []string // the input commits, which are also the jobs' IDs
}

// job commits perJob new inputs and waits for the job, doing f to victim
// during it (f may be nil), then checks what the job and those before it
// left. It returns the new inputs.
func (r *run) job(t *testing.T, name string, f *fault, victim string) []string {
	t.Helper()
	c := r.c
	defer c.use(t)()
	ctx := t.Context()
	leader := c.leader()
	api := c.api(leader)
	inputs := make([]string, perJob)
	up, err := api.NewUpload(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range inputs {
		inputs[i] = fmt.Sprintf("/j%02d-%02d", len(r.commits), i)
		if err := up.PutFile(inputs[i], strings.NewReader(inputs[i]+"\n"), false); err != nil {
			t.Fatal(err)
		}
	}
	commit, err := up.Commit("in@master")
	if err != nil {
		t.Fatalf("%s: commit the inputs: %v", name, err)
	}
	r.inputs, r.commits = append(r.inputs, inputs...), append(r.commits, commit.ID)
	id := commit.ID
	watch := leader // a server that the fault spares
	if f != nil {
		testenv.Eventually(t, 2*time.Minute, name+": a quarter of the job done", func() bool {
			j, err := r.inspect(leader, id)
			return err == nil && j.DataProcessed >= perJob/4
		})
		at := time.Now()
		undo := f.do(c, victim)
		undone := false
		defer func() {
			if !undone { // the job failed: undo the fault for the next ones
				undo()
			}
		}()
		if f.leader {
			watch = c.other(victim)
			testenv.Eventually(t, time.Minute, name+": "+watch+" leads", func() bool { return c.leads(watch) })
			led := time.Since(at)
			j := r.wait(name, watch, id)
			t.Logf("%s: %s led %.1f s after the fault; the next datum started after %s; the job ended after %.1f s",
				name, watch, led.Seconds(), r.nextStart(watch, id, at), j.Finished.Sub(at).Seconds())
		} else {
			r.wait(name, watch, id)
		}
		undo()
		undone = true
		if f.leader {
			c.waitServer(victim)
		}
	} else {
		r.wait(name, watch, id)
	}
	r.check(name, watch, id, inputs, f == nil)
	return inputs
}

// inspect asks server about job id, giving up after a few seconds.
func (r *run) inspect(server, id string) (tusk.JobInfo, error) {
	api := r.c.api(server)
	if api == nil {
		return tusk.JobInfo{}, fmt.Errorf("%s has no address", server)
	}
	ctx, cancel := context.WithTimeout(r.c.t.Context(), 5*time.Second)
	defer cancel()
	return api.InspectJob(ctx, pipeline, id)
}

// wait waits until job id ends, as server sees it, and fails the test
// unless it succeeded.
func (r *run) wait(name, server, id string) tusk.JobInfo {
	t := r.c.t
	t.Helper()
	var j tusk.JobInfo
	var err error
	// A readiness poll with a deadline, not testenv.Eventually: its failure
	// says what state the job was left in.
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if j, err = r.inspect(server, id); err == nil && tusk.JobDone(j.State) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: job %s did not end within 2 minutes (%s, %v); its datums not done: %s", name, id, j.State, err, r.pending(server, id))
		}
	}
	if j.State != tusk.JobSuccess {
		t.Fatalf("%s: job %s ended %s: %s", name, id, j.State, j.Reason)
	}
	return j
}

// pending describes the datums of job id not done, as server sees them.
func (r *run) pending(server, id string) string {
	var out []string
	err := r.c.api(server).ListDatums(r.c.t.Context(), pipeline, id, "", func(d tusk.DatumInfo) error {
		if d.State != tusk.DatumSuccess && d.State != tusk.DatumSkipped {
			out = append(out, fmt.Sprintf("%s %s (worker %q, attempts %d: %s)", d.ID[:8], d.State, d.Worker, d.Attempts, d.Reason))
		}
		return nil
	})
	if err != nil {
		return err.Error()
	}
	return strings.Join(out, "; ")
}

// nextStart says when, after at, the first datum of job id started.
func (r *run) nextStart(server, id string, at time.Time) string {
	var next *time.Time
	err := r.c.api(server).ListDatums(r.c.t.Context(), pipeline, id, "", func(d tusk.DatumInfo) error {
		if d.Started != nil && d.Started.After(at) && (next == nil || d.Started.Before(*next)) {
			next = d.Started
		}
		return nil
	})
	switch {
	case err != nil:
		r.c.t.Errorf("list the datums of job %s: %v", id, err)
		return "(unknown)"
	case next == nil:
		return "(none: all had started before)"
	}
	return fmt.Sprintf("%.1f s", next.Sub(at).Seconds())
}

// An execution is one run of a datum's command.
type execution struct{ worker, run string }

// executions returns the runs of the command of the datum of input.
func (r *run) executions(input string) []execution {
	data, err := os.ReadFile(filepath.Join(r.c.dir, "runs", strings.TrimPrefix(input, "/")))
	if err != nil && !os.IsNotExist(err) {
		r.c.t.Fatal(err)
	}
	var out []execution
	for line := range strings.Lines(string(data)) {
		worker, run, _ := strings.Cut(strings.TrimSpace(line), " ")
		out = append(out, execution{worker, run})
	}
	return out
}

// check checks, through server, the output of job id (which must hold
// each input so far once: its own, and those of earlier jobs, skipped)
// and that every commit made so far is there, finished; it logs how many
// times the command of each of the job's inputs ran, which must be
// exactly once without a fault, at least once with one.
func (r *run) check(name, server, id string, inputs []string, exact bool) {
	t := r.c.t
	t.Helper()
	ctx := t.Context()
	api := r.c.api(server)
	outputs := map[string][]string{}
	err := api.WalkFiles(ctx, pipeline+"@"+id, func(fi tusk.FileInfo) error {
		// "/jJJ-II-RUN": the output of input "/jJJ-II".
		in := fi.Path
		if parts := strings.SplitN(fi.Path, "-", 3); len(parts) == 3 {
			in = parts[0] + "-" + parts[1]
		}
		outputs[in] = append(outputs[in], fi.Path)
		return nil
	})
	if err != nil {
		t.Fatalf("%s: read the output of job %s: %v", name, id, err)
	}
	for _, in := range r.inputs {
		if len(outputs[in]) != 1 {
			t.Errorf("%s: the output of job %s holds %d files of input %s, want 1: %v", name, id, len(outputs[in]), in, outputs[in])
		}
		delete(outputs, in)
	}
	if len(outputs) > 0 {
		t.Errorf("%s: the output of job %s holds files of no input: %v", name, id, outputs)
	}
	runs := 0
	for _, in := range inputs {
		e := r.executions(in)
		runs += len(e)
		if len(e) == 0 || exact && len(e) != 1 {
			t.Errorf("%s: the command of input %s ran %d times: %v", name, in, len(e), e)
		}
	}
	t.Logf("%s: job %s succeeded; its %d datums ran %d times", name, id, len(inputs), runs)
	r.checkCommits(ctx, api, name)
}

// checkCommits checks that every input commit made so far, and every
// output commit of their jobs, is there and finished.
func (r *run) checkCommits(ctx context.Context, api *client.Client, name string) {
	t := r.c.t
	t.Helper()
	for _, id := range r.commits {
		for _, ref := range []string{"in@" + id, pipeline + "@" + id} {
			ci, err := api.InspectCommit(ctx, ref)
			if err != nil || ci.State != tusk.CommitFinished || ci.Error != "" {
				t.Errorf("%s: commit %s: %+v, %v; want it finished", name, ref, ci, err)
			}
		}
	}
	var n int
	err := api.ListCommits(ctx, "in", "", 0, func(ci tusk.Commit) error {
		if slices.Contains(r.commits, ci.ID) {
			n++
		}
		return nil
	})
	if err != nil || n != len(r.commits) {
		t.Errorf("%s: in holds %d of the %d commits made, %v", name, n, len(r.commits), err)
	}
}
