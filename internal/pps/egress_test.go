package pps_test

import (
	"crypto/rand"
	"io"
	"maps"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/blob/s3"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

func TestEgressToADirectory(t *testing.T) {
	e := newEnv(t)
	e.repo("in")
	e.put("in", "/a.txt", "alpha", "/b.txt", "beta")
	dst := filepath.Join(e.dir, "egress", "out")
	e.pipeline(`{"pipeline": {"name": "up"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"cmd": ["sh", "-c", "tr a-z A-Z < $in > /pfs/out/$(basename $in)"]},
		"egress": {"URL": "file://` + dst + `"}}`)
	if j := e.lastJob("up"); j.State != tusk.JobSuccess {
		t.Fatalf("job = %s %s", j.State, j.Reason)
	}
	for name, want := range map[string]string{"a.txt": "ALPHA", "b.txt": "BETA"} {
		got, err := os.ReadFile(filepath.Join(dst, name))
		if err != nil || string(got) != want {
			t.Errorf("egressed %s = %q, %v; want %q", name, got, err, want)
		}
	}
	// Egress outside the allowed directories is refused with a hint.
	e.pipeline(`{"pipeline": {"name": "nope"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"cmd": ["sh", "-c", "cp $in /pfs/out/"]}, "egress": {"URL": "file:///etc/tusk-egress"}}`)
	if j := e.lastJob("nope"); j.State != tusk.JobFailure || !strings.Contains(j.Reason, "--egress-dir") {
		t.Errorf("egress to a directory not allowed: %s %s", j.State, j.Reason)
	}
	if _, err := os.Stat("/etc/tusk-egress"); err == nil {
		t.Errorf("egress wrote outside the allowed directories")
	}
}

func TestEgressToS3(t *testing.T) {
	base, err := url.Parse(testenv.Require(t, "s3", "TUSK_TEST_S3"))
	if err != nil {
		t.Fatal(err)
	}
	base.Path = path.Join(base.Path, "egress-"+strings.ToLower(rand.Text()))
	cfg, err := s3.ParseURL(base.String(), os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	e.repo("in")
	e.put("in", "/a.txt", "alpha", "/b.txt", "beta")
	e.pipeline(`{"pipeline": {"name": "up"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"cmd": ["sh", "-c", "mkdir -p /pfs/out/d && tr a-z A-Z < $in > /pfs/out/d/$(basename $in)"]},
		"egress": {"URL": "` + base.String() + `"}}`)
	if j := e.lastJob("up"); j.State != tusk.JobSuccess {
		t.Fatalf("job = %s %s", j.State, j.Reason)
	}
	src, err := s3.OpenSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	got := map[string]string{}
	err = src.Walk(e.ctx, cfg.Prefix+"/", func(key string, _ int64) error {
		r, _, err := src.Open(e.ctx, key)
		if err != nil {
			return err
		}
		defer r.Close()
		b, err := io.ReadAll(r)
		got[strings.TrimPrefix(key, cfg.Prefix)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"/d/a.txt": "ALPHA", "/d/b.txt": "BETA"}; !maps.Equal(got, want) {
		t.Errorf("egressed objects = %v, want %v", got, want)
	}
}

func TestAutoscalingGoesToStandby(t *testing.T) {
	e := newEnv(t)
	e.repo("in")
	e.put("in", "/a", "1")
	e.pipeline(`{"pipeline": {"name": "lazy"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"cmd": ["sh", "-c", "cp $in /pfs/out/"]}, "autoscaling": true}`)
	e.lastJob("lazy")
	var state string
	for i := 0; i < 100; i++ {
		p, err := e.c.InspectPipeline(e.ctx, "lazy")
		if err != nil {
			t.Fatal(err)
		}
		if state = p.State; state == tusk.PipelineStandby {
			break
		}
		waitABit()
	}
	if state != tusk.PipelineStandby {
		t.Fatalf("idle autoscaling pipeline is %s, want %s", state, tusk.PipelineStandby)
	}
	c := e.put("in", "/b", "2")
	e.wait(c.ID)
	if got := e.files("lazy@master"); !strings.EqualFold(got["/b"], "2") {
		t.Errorf("after waking up: %v", got)
	}
}

func waitABit() { time.Sleep(50 * time.Millisecond) }

func TestLazyInputsStreamOnRead(t *testing.T) {
	e := newEnv(t)
	e.repo("in")
	e.put("in", "/d/a", "alpha", "/d/b", "beta")
	// Only a is read; b's pipe is never opened and must not hold the datum.
	e.pipeline(`{"pipeline": {"name": "lazy"}, "input": {"pfs": {"repo": "in", "glob": "/d", "lazy": true}},
		"transform": {"cmd": ["sh", "-c", "test -p $in/a && cat $in/a > /pfs/out/a"]}}`)
	j := e.lastJob("lazy")
	if got := e.files("lazy@master"); j.State != tusk.JobSuccess || got["/a"] != "alpha" {
		t.Errorf("lazy input: job %s %s, outputs %v", j.State, j.Reason, got)
	}
}
