package pps_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// A job whose input repo is deleted under it (delete repo --force) fails
// at once, saying so, instead of failing datum after datum.
func TestJobWhoseInputRepoIsDeletedFailsFast(t *testing.T) {
	e := newEnv(t)
	count := testenv.OpenDir(t, os.ModeSticky|0o777)
	e.repo("in")
	var kv []string
	const n = 40
	for i := range n {
		kv = append(kv, fmt.Sprintf("/f%02d", i), "x")
	}
	e.put("in", kv...)
	e.pipeline(fmt.Sprintf(`{"pipeline": {"name": "gone"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"cmd": ["sh", "-c", "echo >> %s/$(basename $in); sleep 0.1; cp $in /pfs/out/"]},
		"datum_set_spec": {"number": 2}, "datum_tries": 3}`, count))
	var job string
	e.eventually("a few datums done", func() bool {
		js, err := e.c.ListJobs(e.ctx, "gone", "", 1)
		if err != nil || len(js) == 0 {
			return false
		}
		job = js[0].ID
		return js[0].DataProcessed >= 2
	})
	if err := e.c.DeleteRepo(e.ctx, "in", true); err != nil {
		t.Fatal(err)
	}
	done, err := e.c.WaitJob(e.ctx, "gone", job)
	if err != nil {
		t.Fatal(err)
	}
	j := done[0]
	if j.State != tusk.JobFailure || !strings.Contains(j.Reason, "input repo in was deleted") {
		t.Errorf("job = %s (%s); want a failure saying input repo in was deleted", j.State, j.Reason)
	}
	entries, err := os.ReadDir(count)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) >= n {
		t.Errorf("%d of %d datums ran after their input repo was deleted; want the job to stop first", len(entries), n)
	}
	failed := 0
	e.c.ListDatums(e.ctx, "gone", job, tusk.DatumFailed, func(d tusk.DatumInfo) error {
		failed++
		if strings.Contains(d.Reason, "cut short") {
			t.Errorf("datum %s failed with %q", d.ID, d.Reason)
		}
		return nil
	})
	t.Logf("job %s: %s; %d datums ran, %d failed", j.State, j.Reason, len(entries), failed)
}

// A job whose inputs the server cannot read (their chunks are gone from
// the object store) fails at once with the read error, its datums tried
// once each at most.
func TestJobWhoseInputCannotBeReadFailsFast(t *testing.T) {
	e := newEnv(t)
	e.repo("in")
	var kv []string
	const n = 20
	for i := range n {
		kv = append(kv, fmt.Sprintf("/f%02d", i), fmt.Sprintf("content of file %d", i))
	}
	e.put("in", kv...)
	if err := os.RemoveAll(filepath.Join(e.dir, "objects", "packs")); err != nil {
		t.Fatal(err)
	}
	e.pipeline(`{"pipeline": {"name": "unreadable"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"cmd": ["sh", "-c", "cp $in /pfs/out/"]}, "datum_set_spec": {"number": 2}, "datum_tries": 3}`)
	j := e.lastJob("unreadable")
	if j.State != tusk.JobFailure || !strings.Contains(j.Reason, "could not be read") {
		t.Fatalf("job = %s (%s); want a failure saying the inputs could not be read", j.State, j.Reason)
	}
	attempts := 0
	e.c.ListDatums(e.ctx, "unreadable", j.ID, "", func(d tusk.DatumInfo) error {
		attempts += d.Attempts
		return nil
	})
	if attempts >= n {
		t.Errorf("%d attempts over %d datums; want the job to fail before trying each", attempts, n)
	}
	t.Logf("job %s: %s; %d attempts", j.State, j.Reason, attempts)
}
