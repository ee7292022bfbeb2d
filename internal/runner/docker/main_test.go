package docker_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tuskdata/tusk/internal/testenv"
)

// testImage is the FROM scratch busybox image .ci/docker.sh builds.
const testImage = "tusk-test/busybox:latest"

var (
	binDir   string
	binOnce  sync.Once
	binPath  string
	binError error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// tuskBinary builds the static tusk binary once, for the tests that need
// it.
func tuskBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binError = os.MkdirTemp("", "tusk-docker-test-"); binError != nil {
			return
		}
		binPath = filepath.Join(binDir, "tusk")
		build := exec.Command("go", "build", "-o", binPath, "github.com/tuskdata/tusk/cmd/tusk")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			binError = fmt.Errorf("build tusk: %v\n%s", err, out)
		}
	})
	if binError != nil {
		t.Fatal(binError)
	}
	return binPath
}

// needDocker skips the test without an engine, or fails it when
// TUSK_TEST_REQUIRE lists docker.
func needDocker(t *testing.T) *testEngine {
	t.Helper()
	testenv.Require(t, "docker", "TUSK_TEST_DOCKER")
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", "/var/run/docker.sock")
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return &testEngine{t: t, http: &http.Client{Transport: tr}}
}

// newInstance returns an instance ID of its own for a test.
func newInstance() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "test-" + hex.EncodeToString(b)
}

// testEngine talks to the engine independently of the code under test.
type testEngine struct {
	t    *testing.T
	http *http.Client
}

func (e *testEngine) call(method, path string, q url.Values, in, out any) {
	e.t.Helper()
	if status := e.try(method, path, q, in, out); status >= 300 {
		e.t.Fatalf("%s %s: status %d", method, path, status)
	}
}

// remove removes a container if it is still there.
func (e *testEngine) remove(id string) {
	e.t.Helper()
	if status := e.try(http.MethodDelete, "/containers/"+id, url.Values{"force": {"1"}}, nil, nil); status >= 300 && status != http.StatusNotFound {
		e.t.Errorf("remove container %s: status %d", id, status)
	}
}

// try makes a request and returns the answer's status.
func (e *testEngine) try(method, path string, q url.Values, in, out any) int {
	e.t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "http://docker"+path+"?"+q.Encode(), body)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.http.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		e.t.Logf("%s %s: %s: %s", method, path, resp.Status, b)
		return resp.StatusCode
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

// inspection is what the tests check of a container.
type inspection struct {
	ID     string
	Name   string
	Image  string
	State  struct{ Running bool }
	Config struct {
		User       string
		Env        []string
		Entrypoint []string
		Cmd        []string
		Labels     map[string]string
	}
	HostConfig struct {
		NetworkMode string
		NanoCpus    int64
		Memory      int64
		PidsLimit   int64
		Privileged  bool
		Tmpfs       map[string]string
		SecurityOpt []string
		CapDrop     []string
		CapAdd      []string
		GroupAdd    []string
	}
	Mounts []struct {
		Type        string
		Source      string
		Destination string
		RW          bool
	}
}

// containers inspects the containers that have all the labels.
func (e *testEngine) containers(labels ...string) []inspection {
	e.t.Helper()
	filters, _ := json.Marshal(map[string][]string{"label": labels})
	var list []struct{ ID string }
	e.call(http.MethodGet, "/containers/json", url.Values{"all": {"1"}, "filters": {string(filters)}}, nil, &list)
	// A container listed may be gone by the time it is inspected (the
	// runner removes dead workers): skip it.
	out := make([]inspection, 0, len(list))
	for _, c := range list {
		var in inspection
		switch status := e.try(http.MethodGet, "/containers/"+c.ID+"/json", nil, nil, &in); {
		case status == http.StatusNotFound:
		case status >= 300:
			e.t.Fatalf("inspect container %s: status %d", c.ID, status)
		default:
			out = append(out, in)
		}
	}
	return out
}

// repoDigests returns the registry references of a local image.
func (e *testEngine) repoDigests(ref string) []string {
	e.t.Helper()
	var img struct{ RepoDigests []string }
	e.call(http.MethodGet, "/images/"+ref+"/json", nil, nil, &img)
	return img.RepoDigests
}

// imageID returns the ID of a local image.
func (e *testEngine) imageID(ref string) string {
	e.t.Helper()
	var img struct{ ID string }
	e.call(http.MethodGet, "/images/"+ref+"/json", nil, nil, &img)
	return img.ID
}

// hasRuntime reports whether the engine has the container runtime name
// (nvidia: the NVIDIA Container Toolkit's, which gives GPUs).
func (e *testEngine) hasRuntime(name string) bool {
	e.t.Helper()
	var info struct{ Runtimes map[string]json.RawMessage }
	e.call(http.MethodGet, "/info", nil, nil, &info)
	_, ok := info.Runtimes[name]
	return ok
}
