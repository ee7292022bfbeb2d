package docker_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pushImage builds an image of its own from the test image (a label makes
// it unique), pushes it to ref (host:port/name:tag) with the docker CLI
// using the docker config in configDir, and removes it from the local
// engine, so that running it needs a pull. It returns the image's ID.
func pushImage(t *testing.T, configDir, ref string) string {
	t.Helper()
	dir := t.TempDir()
	dockerfile := "FROM " + testImage + "\nLABEL tusk.test.image=" + newInstance() + "\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	id := dockerCLI(t, configDir, "build", "-q", "-t", ref, dir)
	dockerCLI(t, configDir, "push", ref)
	dockerCLI(t, configDir, "rmi", ref)
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", id).Run() })
	return id
}

// dockerLogin logs the docker CLI in to host with the config in configDir,
// which then holds the credentials as a base64 auth entry.
func dockerLogin(t *testing.T, configDir, host, user, password string) {
	t.Helper()
	cmd := exec.Command("docker", "--config", configDir, "login", "--username", user, "--password-stdin", host)
	cmd.Stdin = strings.NewReader(password)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker login %s: %v\n%s", host, err, out)
	}
}

// dockerCLI runs docker with the config in configDir and returns its
// trimmed output.
func dockerCLI(t *testing.T, configDir string, args ...string) string {
	t.Helper()
	var stderr strings.Builder
	cmd := exec.Command("docker", append([]string{"--config", configDir}, args...)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return strings.TrimSpace(string(out))
}
