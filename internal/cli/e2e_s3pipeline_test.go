package cli

import (
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/testenv"
)

// TestE2ES3PipelineDocker: on the docker runner, a pipeline's command
// reads its S3 input and writes its output through the worker's S3
// endpoint, on the container's loopback. tusk-test/busybox has no S3
// client, so the test adds a small one (testdata/s3client, minio-go).
func TestE2ES3PipelineDocker(t *testing.T) {
	testenv.Require(t, "docker", "TUSK_TEST_DOCKER")
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "s3client"), "./testdata/s3client")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the S3 client: %v\n%s", err, out)
	}
	dockerfile := "FROM tusk-test/busybox:latest\nCOPY s3client /bin/s3client\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	image := "tusk-s3-test/client:" + strings.ToLower(rand.Text()[:8])
	if out, err := exec.Command("docker", "build", "-q", "-t", image, dir).CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", image).Run() })

	e := startServer(t, "--runner", "docker")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server logs:\n%s", e.logs)
		}
	})
	e.run("create", "repo", "images")
	e.runIn(strings.NewReader("hello"), "put", "file", "images@master:/a.txt")
	spec := e.writeFile("up.json", []byte(`{"pipeline": {"name": "up"}, "s3_out": true,
	 "input": {"pfs": {"repo": "images", "name": "pics", "glob": "/", "s3": true}},
	 "transform": {"image": "`+image+`", "cmd": ["sh", "-c", "test ! -e /pfs/pics && s3client get pics a.txt | tr a-z A-Z | s3client put out b.txt"]}}`))
	e.run("create", "pipeline", "-f", spec)
	id := e.headJob("up")
	e.within(time.Minute, "wait", "commit", id)
	if got := e.run("get", "file", "up@master:/b.txt"); got != "HELLO" {
		t.Errorf("the pipeline's output b.txt: %q; job:\n%s", got, e.run("inspect", "job", "up@"+id))
	}
}
