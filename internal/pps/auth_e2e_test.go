package pps_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// TestWorkersActWithTheLeastTheyNeed runs a pipeline whose command uses
// its worker's own socket and token to read a repo that is not its input,
// delete a repo and create a pipeline, and to read its input beyond its
// job's commit: each is refused, and the other repo is untouched, while
// reading its job's input commit works.
func TestWorkersActWithTheLeastTheyNeed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	// The data directory, which holds the worker socket, is one that the
	// command may reach when it runs as another user.
	e := &env{t: t, ctx: ctx, dir: testenv.OpenDir(t, 0o755)}
	e.start()
	e.repo("in")
	e.repo("secret")
	e.put("secret", "/s", "top secret")
	old := e.put("in", "/x", "an earlier commit, which no job of the pipeline reads")
	c := e.put("in", "/x", "mine")
	script := `export TUSK_ADDRESS=unix://` + filepath.Join(e.dir, "tusk.sock") + ` TUSK_TOKEN=$TUSK_WORKER_TOKEN TUSK_CONFIG=$TMPDIR/none.json
printf '{"pipeline": {"name": "evil"}, "transform": {"cmd": ["true"]}, "input": {"pfs": {"repo": "in", "glob": "/*"}}}' > $TMPDIR/evil.json
for args in "get file in@master:/x" "get file in@` + old.ID + `:/x" "get file in@master^:/x" "list commit in" "get file secret@master:/s" "delete repo secret" "create pipeline -f $TMPDIR/evil.json" "put file secret@master:/s -f $TMPDIR/evil.json"; do
  if tusk $args > $TMPDIR/o 2>&1; then echo "ALLOWED: $args"; else echo "refused: $args: $(cat $TMPDIR/o)"; fi
done > /pfs/out/report`
	spec, err := json.Marshal(map[string]any{
		"pipeline":  map[string]string{"name": "nosy"},
		"transform": map[string]any{"cmd": []string{"sh", "-c", script}},
		"input":     map[string]any{"pfs": map[string]string{"repo": "in", "glob": "/*"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.pipeline(string(spec))
	if j := e.lastJob("nosy"); len(j.Inputs) != 1 || j.Inputs[0].ID != c.ID {
		t.Fatalf("the pipeline's job reads %v, want in@%s", j.Inputs, c.ID)
	}
	report := e.files("nosy@master")["/report"]
	for _, want := range []string{
		"ALLOWED: get file in@master:/x",
		"refused: get file in@" + old.ID + `:/x: error: the workers of pipeline "nosy" may not read commit in@` + old.ID + ":",
		"refused: get file in@master^:/x: error: the workers of pipeline \"nosy\" may not read commit in@master~1:",
		`refused: list commit in: error: the workers of pipeline "nosy" may not read repo in as a whole`,
		`refused: get file secret@master:/s: error: pipeline:nosy needs repoReader on repo "secret"`,
		`refused: delete repo secret: error: pipeline:nosy needs repoOwner on repo "secret"`,
		"refused: create pipeline",
		"pipelines and their workers may only read their inputs and write their output",
		`refused: put file secret@master:/s`,
	} {
		if !strings.Contains(report, want) {
			t.Errorf("the pipeline's report lacks %q:\n%s", want, report)
		}
	}
	if got := e.files("secret@master"); got["/s"] != "top secret" || len(got) != 1 {
		t.Errorf("secret after the pipeline ran: %v", got)
	}
	if _, err := e.c.InspectPipeline(e.ctx, "evil"); !errors.Is(err, tusk.ErrNotFound) {
		t.Errorf("the pipeline the worker tried to create: %v, want not found", err)
	}
}
