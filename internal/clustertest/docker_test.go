package clustertest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/testenv"
)

// label marks everything a run makes on the engine, with the run's prefix
// as its value.
const label = "tusk.clustertest"

// command runs a program and returns its standard output, trimmed; env is
// added to the test's environment.
func command(env []string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// docker runs the docker command, failing t if it fails.
func docker(t testing.TB, args ...string) string {
	t.Helper()
	out, err := command(nil, "docker", args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// buildImage builds the image of the cluster's containers, FROM scratch:
// Debian's static busybox (pipelines' commands need a shell) and the
// static tusk binary, with the legacy builder. It is removed when t ends.
func buildImage(t *testing.T, name, prefix string) {
	t.Helper()
	dir := t.TempDir()
	bin, cleanup, err := testenv.BuildBinary()
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	copyFile(t, bin, filepath.Join(dir, "tusk"))
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Fatalf("the cluster's image needs Debian's static busybox: apt-get install busybox-static (.ci/docker.sh does): %v", err)
	}
	copyFile(t, "/bin/busybox", filepath.Join(dir, "busybox"))
	dockerfile := "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\nCOPY tusk /bin/tusk\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := command([]string{"DOCKER_BUILDKIT=0"}, "docker", "build", "--quiet", "--label", label+"="+prefix, "-t", name, dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := command(nil, "docker", "rmi", "--force", name); err != nil {
			t.Errorf("remove the image: %v", err)
		}
	})
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err == nil {
		err = os.WriteFile(to, data, 0o755)
	}
	if err != nil {
		t.Fatalf("copy %s: %v", from, err)
	}
}

// removeContainers removes the containers of a run, paused ones too,
// after logging the end of their logs if t failed.
func removeContainers(t *testing.T, prefix string) {
	t.Helper()
	ids, err := command(nil, "docker", "ps", "--all", "--quiet", "--filter", "label="+label+"="+prefix)
	if err != nil {
		t.Errorf("list the containers: %v", err)
		return
	}
	for _, id := range strings.Fields(ids) {
		name, _ := command(nil, "docker", "inspect", "--format", "{{.Name}}", id)
		command(nil, "docker", "unpause", id) // an error says it was not paused
		if t.Failed() {
			logs, _ := exec.Command("docker", "logs", "--tail", "60", id).CombinedOutput()
			t.Logf("the end of the logs of %s:\n%s", name, logs)
		}
		if _, err := command(nil, "docker", "rm", "--force", "--volumes", id); err != nil {
			t.Errorf("remove container %s: %v", name, err)
		}
	}
}
