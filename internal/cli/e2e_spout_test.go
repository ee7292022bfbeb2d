package cli

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/pachapi"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// spoutSpec's command writes two files to its output repo with pachctl
// (each a commit), tries to write and read another repo, which its token
// may not, and sleeps with SLEEP.
const spoutSpec = `{
  "pipeline": {"name": "feed"},
  "transform": {IMAGE"cmd": ["sh", "-c",
    "echo feeding; for i in 1 2; do echo $i | pachctl put file feed@master:/$$-$i || exit 9; done; echo x | tusk put file other@master:/x && echo wrote-other; tusk list file other@master >/dev/null 2>&1 || echo cannot-read-other; exec SLEEP"]},
  "spout": {}
}`

// TestE2ESpout runs a spout on the process runner and, with
// TUSK_TEST_DOCKER, on the docker runner: its command's put files are
// commits of its output repo, it may not touch another repo, and it runs
// again when it dies. A spout whose command keeps failing is CRASHING.
func TestE2ESpout(t *testing.T) {
	t.Run("process", func(t *testing.T) {
		sleep, marker := testenv.Marked(t)
		runSpout(t, processRunner, "", sleep+" 3600", func() {
			var pids []int
			testenv.Eventually(t, 30*time.Second, "the spout's command sleeps", func() bool {
				pids = testenv.Running(marker)
				return len(pids) == 1
			})
			if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("docker", func(t *testing.T) {
		testenv.Require(t, "docker", "TUSK_TEST_DOCKER")
		// The command ends by itself in the container.
		runSpout(t, []string{"--runner", "docker"}, `"image": "tusk-test/busybox:latest", `, "sleep 2", func() {})
	})
}

func runSpout(t *testing.T, runner []string, image, sleep string, kill func()) {
	e := startServer(t, runner...)
	e.run("create", "repo", "other")
	spec := strings.NewReplacer("IMAGE", image, "SLEEP", sleep).Replace(spoutSpec)
	e.run("create", "pipeline", "-f", e.writeFile("feed.json", []byte(spec)))

	files := func(n int) {
		e.eventually(fmt.Sprintf("the spout wrote %d files", n), func() bool {
			out, _, code := e.exec(nil, "list", "file", "feed@master:/")
			return code == 0 && strings.Count(out, "\n") >= n+1 // a header, then a line per file
		})
	}
	files(2)
	commits := lines[pachapi.CommitInfo](e, "list", "commit", "feed@master")
	if len(commits) < 2 {
		t.Fatalf("the spout's output has %d commits, want one per put file", len(commits))
	}
	for _, c := range commits {
		if c.Origin.Kind != tusk.OriginUser || len(c.DirectProvenance) != 0 {
			t.Errorf("spout commit %s: origin %s, provenance %v; want a user's commit with no provenance", c.Commit.ID, c.Origin.Kind, c.DirectProvenance)
		}
	}
	if jobs := lines[pachapi.JobInfo](e, "list", "job", "-p", "feed"); len(jobs) != 0 {
		t.Errorf("a spout made jobs: %+v", jobs)
	}
	e.eventually("the spout is RUNNING", func() bool {
		return object[pachapi.PipelineInfo](e, "inspect", "pipeline", "feed").State == "PIPELINE_RUNNING"
	})
	var logs string
	e.eventually("the spout finds it cannot read another repo", func() bool {
		logs = e.run("logs", "-p", "feed")
		return strings.Contains(logs, "cannot-read-other")
	})
	wantContains(t, "the spout's logs", logs, "feeding", `pipeline:feed needs repoWriter on repo "other"`)
	if strings.Contains(logs, "wrote-other") || len(lines[pachapi.CommitInfo](e, "list", "commit", "other")) != 0 {
		t.Errorf("the spout wrote to repo other:\n%s", logs)
	}

	kill()
	files(4)
	wantContains(t, "logs after the command died", e.run("logs", "-p", "feed"), "the spout's command exited with code")

	// A command that fails at once keeps the pipeline CRASHING.
	crash := strings.Replace(spec, `"echo feeding;`, `"echo crashing; exit 4;`, 1)
	crash = strings.Replace(crash, `"name": "feed"`, `"name": "crash"`, 1)
	// Made in a transaction, it has no jobs either.
	e.run("start", "transaction")
	e.run("create", "pipeline", "-f", e.writeFile("crash.json", []byte(crash)))
	e.run("finish", "transaction")
	var p pachapi.PipelineInfo
	e.eventually("the failing spout is CRASHING", func() bool {
		p = object[pachapi.PipelineInfo](e, "inspect", "pipeline", "crash")
		return p.State == "PIPELINE_CRASHING"
	})
	if p.Type != "PIPELINE_TYPE_SPOUT" {
		t.Errorf("inspect pipeline -o json: type %s, want PIPELINE_TYPE_SPOUT", p.Type)
	}
	wantContains(t, "the crashing spout's reason", p.Reason, "exited with code 4; restarting it in")
	wantContains(t, "inspect pipeline", e.run("inspect", "pipeline", "crash"), "crashing", "exited with code 4")
	if jobs := lines[pachapi.JobInfo](e, "list", "job", "-p", "crash"); len(jobs) != 0 {
		t.Errorf("a spout made in a transaction made jobs: %+v", jobs)
	}

	e.run("delete", "pipeline", "feed")
	e.run("delete", "pipeline", "crash")
}
