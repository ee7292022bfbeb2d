package cli

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/pachapi"
)

// crossSpec reads a and b whole: one datum, whose output joins them.
const crossSpec = `{
  "pipeline": {"name": "both"},
  "transform": {"cmd": ["sh", "-c", "cat /pfs/a/x /pfs/b/y > /pfs/out/all"]},
  "input": {"cross": [{"pfs": {"repo": "a", "glob": "/"}}, {"pfs": {"repo": "b", "glob": "/"}}]}
}`

// startTxn runs start transaction and returns the ID it printed.
func (e *e2e) startTxn() string {
	e.t.Helper()
	out := e.run("start", "transaction")
	m := regexp.MustCompile(`^started new transaction: "([0-9a-f]{32})"\n$`).FindStringSubmatch(out)
	if m == nil {
		e.t.Fatalf("start transaction printed %q, want its ID", out)
	}
	return m[1]
}

// recorded runs a command that an active transaction id must record.
func (e *e2e) recorded(id string, args ...string) string {
	e.t.Helper()
	out, stderr, code := e.exec(nil, args...)
	if code != 0 || stderr != "Added to transaction: "+id+"\n" {
		e.t.Fatalf("tusk %s in transaction %s: exit %d, stderr %q; want it added", strings.Join(args, " "), id, code, stderr)
	}
	return out
}

// Two input commits started in one transaction make one downstream job,
// in the transaction's commit set, that sees both.
func TestE2ETransactionOneJob(t *testing.T) {
	e := startServer(t, processRunner...)
	e.run("create", "repo", "a")
	e.run("create", "repo", "b")
	e.runIn(strings.NewReader("a1\n"), "put", "file", "a@master:/x")
	e.runIn(strings.NewReader("b1\n"), "put", "file", "b@master:/y")
	spec := e.writeFile("both.json", []byte(crossSpec))
	e.run("create", "pipeline", "-f", spec)
	e.waitJobs(e.headJob("both"))
	headA := e.headJob("a")

	id := e.startTxn()
	if got := e.recorded(id, "start", "commit", "a@master"); got != id+"\n" {
		t.Errorf("start commit in transaction %s printed %q, want the transaction's ID", id, got)
	}
	e.recorded(id, "start", "commit", "b@master")
	// An update in the same transaction: its job is the same one.
	e.recorded(id, "update", "pipeline", "-f", spec)
	if got := e.headJob("a"); got != headA {
		t.Fatalf("a@master is at %s before finish transaction, want %s still", got, headA)
	}
	info := object[pachapi.TransactionInfo](e, "inspect", "transaction")
	if info.Transaction.ID != id || len(info.Requests) != 3 || info.Requests[1].StartCommit == nil || info.Requests[1].StartCommit.Branch.Repo.Name != "b" {
		t.Errorf("inspect transaction -o json = %+v, want %s with 2 start commits and an update", info, id)
	}
	wantContains(t, "inspect transaction", e.run("inspect", "transaction", id),
		"Transaction:", id, "Requests:", "1. start commit a@master", "2. start commit b@master", "3. update pipeline both")
	if l := lines[pachapi.TransactionInfo](e, "list", "transaction"); len(l) != 1 || l[0].Transaction.ID != id {
		t.Errorf("list transaction -o json = %+v, want %s", l, id)
	}
	wantContains(t, "list transaction", e.run("list", "transaction"), "TRANSACTION", "STARTED", "OPS", id)
	// edit pipeline is not recorded: refused rather than applied at once.
	if stderr := e.fail(exitError, "edit", "pipeline", "both"); !strings.Contains(stderr, "transaction "+id+" is active") {
		t.Errorf("edit pipeline in a transaction: %q, want a refusal naming it", stderr)
	}

	// Stopped, commands apply at once; resumed, they are recorded again.
	wantContains(t, "stop transaction", e.run("stop", "transaction"), "Cleared active transaction: "+id)
	if _, stderr, code := e.exec(nil, "create", "repo", "c"); code != 0 || stderr != "" {
		t.Fatalf("create repo with no active transaction: exit %d, stderr %q", code, stderr)
	}
	e.run("inspect", "repo", "c")
	wantContains(t, "resume transaction", e.run("resume", "transaction", id), "Resuming existing transaction with 3 requests: "+id)
	if stderr := e.fail(exitError, "start", "transaction"); !strings.Contains(stderr, id+" is active") {
		t.Errorf("start transaction while one is active: %q", stderr)
	}

	wantContains(t, "finish transaction", e.run("finish", "transaction"), "Completed transaction with 3 requests: "+id)
	if l := lines[pachapi.TransactionInfo](e, "list", "transaction"); len(l) != 0 {
		t.Errorf("list transaction after finish = %+v, want none", l)
	}
	// put file is not recorded: it writes into the commits the
	// transaction started, which are then finished.
	e.runIn(strings.NewReader("a2\n"), "put", "file", "a@master:/x")
	e.runIn(strings.NewReader("b2\n"), "put", "file", "b@"+id+":/y")
	e.run("finish", "commit", "a@master")
	e.run("finish", "commit", "b@"+id)
	e.waitJobs(id)

	var repos []string
	for _, c := range lines[pachapi.CommitInfo](e, "list", "commit", id) {
		repos = append(repos, c.Commit.Repo.Name)
	}
	slices.Sort(repos)
	if !slices.Equal(repos, []string{"a", "b", "both"}) {
		t.Errorf("commit set %s holds commits of %v, want a, b and both", id, repos)
	}
	jobs := lines[pachapi.JobInfo](e, "list", "job", "-p", "both", "--history", "all")
	if len(jobs) != 2 {
		t.Fatalf("pipeline both ran %d jobs, want 2 (its first, and one for the transaction)", len(jobs))
	}
	if j := object[pachapi.JobInfo](e, "inspect", "job", "both@"+id); j.State != "JOB_SUCCESS" || j.PipelineVersion != 2 {
		t.Errorf("job both@%s: state %s, pipeline version %d; want JOB_SUCCESS of version 2", id, j.State, j.PipelineVersion)
	}
	var ins []string
	for _, in := range object[pachapi.CommitInfo](e, "inspect", "commit", "both@"+id).DirectProvenance {
		ins = append(ins, in.Repo.Name+"@"+in.ID)
	}
	if !slices.Equal(ins, []string{"a@" + id, "b@" + id}) {
		t.Errorf("the job's output commit both@%s comes from %v, want a@%s and b@%s", id, ins, id, id)
	}
	if got := e.run("get", "file", "both@master:/all"); got != "a2\nb2\n" {
		t.Errorf("both@master:/all = %q, want both new inputs", got)
	}
}

// delete transaction discards what it recorded; a request failing at
// finish applies nothing, and names itself.
func TestE2ETransactionDiscardAndRollback(t *testing.T) {
	e := startServer(t)
	e.run("create", "repo", "c")

	id := e.startTxn()
	e.recorded(id, "create", "repo", "d")
	e.run("delete", "transaction")
	if stderr := e.fail(exitError, "inspect", "repo", "d"); !strings.Contains(stderr, "not found") {
		t.Errorf("repo d of a deleted transaction: %q, want not found", stderr)
	}
	if stderr := e.fail(exitError, "inspect", "transaction", id); !strings.Contains(stderr, "not found") {
		t.Errorf("inspect a deleted transaction: %q, want not found", stderr)
	}
	if stderr := e.fail(exitError, "finish", "transaction"); !strings.Contains(stderr, "no active transaction") {
		t.Errorf("finish transaction after delete: %q, want no active transaction", stderr)
	}

	id = e.startTxn()
	e.recorded(id, "create", "repo", "e")
	e.recorded(id, "start", "commit", "c@master")
	// Refused when recorded: the dry run fails.
	if stderr := e.fail(exitError, "start", "commit", "nosuch@master"); !strings.Contains(stderr, "request 3 of 3 (start commit nosuch@master)") {
		t.Errorf("start commit of a missing repo in a transaction: %q, want the dry run's refusal", stderr)
	}
	e.run("stop", "transaction")
	e.run("delete", "repo", "c")
	e.run("resume", "transaction", id)
	stderr := e.fail(exitError, "finish", "transaction")
	wantContains(t, "finish transaction with repo c gone", stderr, "finish transaction "+id, "request 2 of 2 (start commit c@master)", "not found")
	if stderr := e.fail(exitError, "inspect", "repo", "e"); !strings.Contains(stderr, "not found") {
		t.Errorf("repo e of the failed transaction: %q, want not found", stderr)
	}
	if info := object[pachapi.TransactionInfo](e, "inspect", "transaction"); info.Transaction.ID != id || len(info.Requests) != 2 {
		t.Errorf("the failed transaction afterwards: %+v, want it kept, active, with its 2 requests", info)
	}
	e.run("delete", "transaction", id)
	if l := lines[pachapi.TransactionInfo](e, "list", "transaction"); len(l) != 0 {
		t.Errorf("list transaction after delete = %+v, want none", l)
	}
}

// A repo, a pipeline reading it and the repo's first commit, in one
// transaction: the pipeline's first job is in the transaction's commit
// set and sees the commit.
func TestE2ETransactionPipeline(t *testing.T) {
	e := startServer(t, processRunner...)
	id := e.startTxn()
	e.recorded(id, "create", "repo", "words")
	e.recorded(id, "create", "pipeline", "-f", e.writeFile("wc.json", []byte(wcSpec)))
	e.recorded(id, "start", "commit", "words@master")
	// The dry run refuses a second pipeline of the name.
	if stderr := e.fail(exitError, "create", "pipeline", "-f", e.writeFile("wc2.json", []byte(wcSpec))); !strings.Contains(stderr, "request 4 of 4 (create pipeline wc)") || !strings.Contains(stderr, "already exists") {
		t.Errorf("create pipeline wc twice in a transaction: %q, want the dry run's refusal", stderr)
	}
	if stderr := e.fail(exitError, "inspect", "pipeline", "wc"); !strings.Contains(stderr, "not found") {
		t.Errorf("pipeline wc before finish: %q, want not found", stderr)
	}
	wantContains(t, "inspect transaction", e.run("inspect", "transaction"), "1. create repo words", "2. create pipeline wc", "3. start commit words@master")
	if info := object[pachapi.TransactionInfo](e, "inspect", "transaction"); len(info.Requests) != 3 || info.Requests[1].CreatePipeline == nil {
		t.Errorf("inspect transaction -o json = %+v, want create pipeline as its second request", info)
	}
	wantContains(t, "finish transaction", e.run("finish", "transaction"), "Completed transaction with 3 requests: "+id)

	e.runIn(strings.NewReader("one two three\n"), "put", "file", "words@master:/a.txt")
	e.run("finish", "commit", "words@master")
	e.waitJobs(id)
	jobs := lines[pachapi.JobInfo](e, "list", "job", "-p", "wc")
	if len(jobs) != 1 || jobs[0].Job.ID != id || jobs[0].State != "JOB_SUCCESS" {
		t.Fatalf("jobs of wc = %+v, want one successful job %s", jobs, id)
	}
	if got := e.run("get", "file", "wc@master:/a.txt"); got != "3\n" {
		t.Errorf("wc@master:/a.txt = %q, want 3", got)
	}
}
