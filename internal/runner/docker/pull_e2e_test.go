package docker_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// TestPipelinePullsItsImage: a pipeline whose image is only in a registry
// runs once the server pulled it, and its job and datums record the
// image's ID and registry digest; one whose tag the registry lacks is
// CRASHING with the registry's reason.
func TestPipelinePullsItsImage(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	e := newE2E(t)
	host := testenv.StartRegistry(t, "", "")
	ref := host + "/tools:1"
	id := pushImage(t, t.TempDir(), ref)
	e.setup(`{"pipeline": {"name": "pulled"},
		"input": {"pfs": {"repo": "words", "glob": "/*"}},
		"transform": {"image": "` + ref + `", "cmd": ["sh", "-c", "cp $words /pfs/out/"]}}`)
	if _, err := e.c.CreateRepo(e.ctx, "other", ""); err != nil {
		t.Fatal(err)
	}
	wrong := host + "/tools:nope"
	if _, err := e.c.CreatePipeline(e.ctx, []byte(`{"pipeline": {"name": "wrong"},
		"input": {"pfs": {"repo": "other", "glob": "/*"}},
		"transform": {"image": "`+wrong+`", "cmd": ["true"]}}`), false, false, false); err != nil {
		t.Fatal(err)
	}

	c := e.put("words", "/a.txt", "one\n")
	if _, err := e.c.WaitCommit(e.ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if got := e.read("pulled@master:/a.txt"); got != "one\n" {
		t.Errorf("pulled@master:/a.txt = %q, want one", got)
	}
	digests := needDocker(t).repoDigests(ref)
	if len(digests) != 1 || !strings.HasPrefix(digests[0], host+"/tools@sha256:") {
		t.Fatalf("the pulled image's registry digests: %q, want one of %s/tools", digests, host)
	}
	ds := e.datums("pulled")
	if len(ds) != 1 || ds[0].State != tusk.DatumSuccess || ds[0].ImageID != id || ds[0].ImageDigest != digests[0] {
		t.Errorf("datums of pulled: %+v, want one success in image %s, %s", ds, id, digests[0])
	}
	js, err := e.c.ListJobs(e.ctx, "pulled", "", 1)
	if err != nil || len(js) != 1 || js[0].ImageID != id || js[0].ImageDigest != digests[0] {
		t.Errorf("job of pulled: %+v, %v; want image %s, %s", js, err, id, digests[0])
	}

	var info tusk.PipelineInfo
	testenv.Eventually(t, time.Minute, "pipeline wrong is CRASHING with the registry's reason", func() bool {
		var err error
		info, err = e.c.InspectPipeline(e.ctx, "wrong")
		return err == nil && info.State == tusk.PipelineCrashing
	})
	if want := "pull image " + wrong + ": manifest for " + wrong + " not found: manifest unknown"; !strings.HasPrefix(info.Reason, want) {
		t.Errorf("pipeline wrong: %s %q, want the reason %q", info.State, info.Reason, want)
	}
}
