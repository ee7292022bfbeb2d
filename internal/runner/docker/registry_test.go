package docker_test

import (
	"crypto/subtle"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// startRegistry serves an OCI registry, in memory, on a free port of
// 127.0.0.1 until the test ends, and returns its host:port. With a user,
// every request needs HTTP basic auth with user and password. The Docker
// engine pulls from it over plain HTTP, as it does from any registry on
// 127.0.0.0/8.
func startRegistry(t *testing.T, user, password string) string {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if user != "" {
		h = basicAuth(h, user, password)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// basicAuth answers 401 with a Basic challenge, as registries do, unless
// the request carries user and password.
func basicAuth(h http.Handler, user, password string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u+"\x00"+p), []byte(user+"\x00"+password)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="tusk-test"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`))
			return
		}
		h.ServeHTTP(w, r)
	})
}

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
