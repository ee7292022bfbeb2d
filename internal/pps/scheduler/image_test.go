package scheduler_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/pps/scheduler"
	"github.com/tuskdata/tusk/internal/tusk"
)

// TestJobRecordsImage: the image a worker reports with a datum's result,
// its ID and registry digest, is recorded on the datum and on its job.
func TestJobRecordsImage(t *testing.T) {
	e := newAPIEnv(t, filepath.Join(t.TempDir(), "meta.db"), time.Minute)
	e.input("in", "a")
	e.pipeline(`{"pipeline": {"name": "p"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"image": "reg.example/img:1", "cmd": ["true"]}}`)
	const id, digest = "sha256:1d", "reg.example/img@sha256:2d"
	ts := e.claim("p", "w")
	var results []tusk.TaskResult
	for _, task := range ts {
		res := e.result(task, "w", "/out", "x")
		res.ImageID, res.ImageDigest = id, digest
		results = append(results, res)
	}
	e.done(results...)
	j := e.job("p", ts[0].Job)
	if j.State != tusk.JobSuccess || j.ImageID != id || j.ImageDigest != digest {
		t.Errorf("job: %s, image %q %q; want SUCCESS, %s %s", j.State, j.ImageID, j.ImageDigest, id, digest)
	}
	var ds []tusk.DatumInfo
	err := e.pps.ListDatums(e.ctx, "p", j.ID, "", 0, 0, func(d tusk.DatumInfo) error {
		ds = append(ds, d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].ImageID != id || ds[0].ImageDigest != digest {
		t.Errorf("datums: %+v, want one in image %s %s", ds, id, digest)
	}
}

// imageRunner knows the image of its workers, as the kube runner does
// from their pods.
type imageRunner struct{ noWorkers }

func (imageRunner) WorkerImage(_ context.Context, worker string) (id, digest string, err error) {
	if worker != "w" {
		return "", "", fmt.Errorf("no worker %s", worker)
	}
	return "reg.example/img@sha256:3d", "reg.example/img@sha256:3d", nil
}

// TestJobRecordsRunnerImage: the results of a worker that reports no
// image get the one its runner knows, on the datum and its job.
func TestJobRecordsRunnerImage(t *testing.T) {
	e := newAPIEnvWith(t, filepath.Join(t.TempDir(), "meta.db"), imageRunner{}, scheduler.Options{LeaseTTL: time.Minute})
	e.input("in", "a")
	e.pipeline(`{"pipeline": {"name": "p"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"image": "reg.example/img:1", "cmd": ["true"]}}`)
	ts := e.claim("p", "w")
	var results []tusk.TaskResult
	for _, task := range ts {
		results = append(results, e.result(task, "w", "/out", "x"))
	}
	e.done(results...)
	const want = "reg.example/img@sha256:3d"
	if j := e.job("p", ts[0].Job); j.State != tusk.JobSuccess || j.ImageID != want || j.ImageDigest != want {
		t.Errorf("job: %s, image %q %q; want SUCCESS, %s", j.State, j.ImageID, j.ImageDigest, want)
	}
	if results[0].ImageID != "" {
		t.Errorf("the worker's results were changed: %+v", results[0])
	}
}
