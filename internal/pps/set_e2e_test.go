package pps_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

func TestWorkerRunsDatumsInSets(t *testing.T) {
	e := newEnv(t)
	e.repo("in")
	e.put("in", "/a", "one", "/b", "two words", "/c", "bad", "/d/x", "x y z", "/e", "")
	// c fails its first attempt; the other datums of its set do not.
	flag := filepath.Join(testenv.OpenDir(t, os.ModeSticky|0o777), "failed-once")
	e.pipeline(fmt.Sprintf(`{"pipeline": {"name": "sets"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"cmd": ["sh", "-c",
		"echo processing $in; if grep -q bad $in && [ ! -e %[1]s ]; then touch %[1]s; exit 1; fi; n=$(basename $in); find $in -type f -exec cat {} + | wc -w | tr -d ' ' > /pfs/out/$n; echo $PACH_DATUM_ID > /pfs/out/$n.id"]},
		"datum_set_spec": {"number": 5}, "datum_tries": 2}`, flag))
	j := e.lastJob("sets")
	if j.State != tusk.JobSuccess || j.DataProcessed != 5 {
		t.Fatalf("job = %s (%s), %d processed", j.State, j.Reason, j.DataProcessed)
	}
	got := e.files("sets@master")
	want := map[string]string{"/a": "1\n", "/b": "2\n", "/c": "1\n", "/d": "3\n", "/e": "0\n"}
	var datums []tusk.DatumInfo
	e.c.ListDatums(e.ctx, "sets", j.ID, "", func(d tusk.DatumInfo) error {
		datums = append(datums, d)
		return nil
	})
	for _, d := range datums {
		n := "/" + filepath.Base(strings.TrimSuffix(d.Inputs[0].Path, "/"))
		if got[n] != want[n] || got[n+".id"] != d.ID+"\n" {
			t.Errorf("datum %s (%s): output %q, id %q", d.ID, n, got[n], got[n+".id"])
		}
		if !slices.Equal(d.Outputs, []string{n, n + ".id"}) {
			t.Errorf("datum %s (%s) is credited with %v", d.ID, n, d.Outputs)
		}
		if attempts := 1 + strings.Count(n, "c"); d.Attempts != attempts {
			t.Errorf("datum %s (%s): %d attempts, want %d", d.ID, n, d.Attempts, attempts)
		}
		var logs []string
		e.c.Logs(e.ctx, "sets", j.ID, d.ID, false, func(l tusk.LogLine) error {
			logs = append(logs, l.Message)
			return nil
		})
		if !slices.Contains(logs, "processing /pfs/in"+strings.TrimSuffix(d.Inputs[0].Path, "/")) {
			t.Errorf("logs of datum %s (%s): %q", d.ID, n, logs)
		}
		if n == "/c" && !slices.ContainsFunc(logs, func(l string) bool { return strings.Contains(l, "exited with code 1") }) {
			t.Errorf("logs of the datum that failed once: %q", logs)
		}
	}
	if len(datums) != 5 {
		t.Errorf("%d datums, want 5", len(datums))
	}
}
