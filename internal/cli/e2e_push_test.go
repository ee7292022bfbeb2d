package cli

import (
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/pachapi"
	"github.com/tuskdata/tusk/internal/testenv"
)

// TestE2EPushImages: create pipeline --push-images pushes the image just
// built on the local engine to a registry (a real one, on 127.0.0.1), under
// a tag made of its ID, and the pipeline runs exactly that: its workers pull
// it by digest, and each datum records the digest.
func TestE2EPushImages(t *testing.T) {
	testenv.Require(t, "docker", "TUSK_TEST_DOCKER")
	registry := testenv.StartRegistry(t, "", "")
	local := "tusk-push-test/copy:" + strings.ToLower(rand.Text()[:8])
	dir := t.TempDir()
	dockerfile := "FROM tusk-test/busybox:latest\nLABEL tusk.test.push=" + local + "\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("docker", "build", "-q", "-t", local, dir).CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", local).Run() })

	e := startServer(t, "--runner", "docker")
	e.run("create", "repo", "in")
	spec := e.writeFile("copy.json", []byte(`{"pipeline": {"name": "copy"}, "transform": {"image": "`+local+`",
	 "cmd": ["sh", "-c", "cp /pfs/in/* /pfs/out/"]}, "input": {"pfs": {"repo": "in", "glob": "/*"}}}`))

	out := e.run("create", "pipeline", "-f", spec, "--push-images", "--registry", registry, "--dry-run")
	wantContains(t, "dry run", out, "its image "+local+" would be pushed to "+registry)
	if got := lines[pachapi.PipelineInfo](e, "list", "pipeline"); len(got) != 0 {
		t.Fatalf("a dry run made pipelines: %+v", got)
	}

	_, stderr, code := e.exec(nil, "create", "pipeline", "-f", spec, "--push-images", "--registry", registry)
	if code != 0 {
		t.Fatalf("create pipeline --push-images: exit %d\n%s", code, stderr)
	}
	m := regexp.MustCompile(`pipeline copy runs image (` + regexp.QuoteMeta(registry) + `/tusk-push-test/copy:[0-9a-f]{12}@(sha256:[0-9a-f]{64}))`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("create pipeline --push-images printed:\n%s\nwant the reference it pushed", stderr)
	}
	ref, digest := m[1], m[2]
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", strings.Split(ref, "@")[0]).Run() })
	if !strings.Contains(e.run("inspect", "pipeline", "copy", "-o", "json"), ref) {
		t.Errorf("the pipeline's spec does not name %s", ref)
	}
	// Only the registry has it under that name now: the worker must pull.
	if out, err := exec.Command("docker", "rmi", strings.Split(ref, "@")[0]).CombinedOutput(); err != nil {
		t.Fatalf("docker rmi: %v\n%s", err, out)
	}
	e.runIn(strings.NewReader("hello\n"), "put", "file", "in@master:/a")
	id := e.headJob("copy")
	e.within(2*time.Minute, "wait", "commit", id)
	if got := e.run("get", "file", "copy@master:/a"); got != "hello\n" {
		t.Errorf("the pipeline's output: %q", got)
	}
	if job := e.run("inspect", "job", "copy@"+id); !regexp.MustCompile(`Image Digest:\s+\S+@` + regexp.QuoteMeta(digest) + `\n`).MatchString(job) {
		t.Errorf("the job ran\n%s\nwant the image digest pushed (%s)", job, digest)
	}

	// The same image keeps its tag; a missing one is refused with a reason.
	_, stderr, _ = e.exec(nil, "update", "pipeline", "-f", spec, "--push-images", "--registry", registry)
	wantContains(t, "update with the same image", stderr, "runs image "+ref)
	missing := e.writeFile("missing.json", []byte(`{"pipeline": {"name": "gone"}, "transform": {"image": "tusk-push-test/never-built:1", "cmd": ["true"]},
	 "input": {"pfs": {"repo": "in", "glob": "/*"}}}`))
	wantContains(t, "push of an image never built", e.fail(1, "create", "pipeline", "-f", missing, "--push-images", "--registry", registry),
		"the local Docker engine has no image tusk-push-test/never-built:1", "docker build -t tusk-push-test/never-built:1 .")
}
