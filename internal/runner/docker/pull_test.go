package docker_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/runner"
	"github.com/tuskdata/tusk/internal/runner/docker"
	"github.com/tuskdata/tusk/internal/testenv"
)

// ensurePulled calls Ensure, which must first say that it pulls the image,
// until it says anything else, and returns that.
func ensurePulled(t *testing.T, r *docker.Runner, w runner.WorkerSpec) error {
	t.Helper()
	err := r.Ensure(context.Background(), w)
	var prep *runner.Preparing
	if want := "pulling image " + w.Image; !errors.As(err, &prep) || prep.Reason != want {
		t.Fatalf("first Ensure = %v, want runner.Preparing %q", err, want)
	}
	testenv.Eventually(t, time.Minute, "the pull of "+w.Image+" ends", func() bool {
		err = r.Ensure(context.Background(), w)
		return !errors.As(err, &prep)
	})
	return err
}

// runningImage returns the image of the pipeline's one container.
func runningImage(t *testing.T, e *testEngine, instance, pipeline string) string {
	t.Helper()
	cs := e.containers("tusk.instance="+instance, "tusk.pipeline="+pipeline)
	if len(cs) != 1 || !cs[0].State.Running {
		t.Fatalf("containers of %s: %+v, want one running", pipeline, cs)
	}
	return cs[0].Image
}

// TestPullMissingImage: an image the engine lacks is pulled from its
// registry and its workers run in it; a tag or repository the registry
// lacks fails with the registry's reason.
func TestPullMissingImage(t *testing.T) {
	e := needDocker(t)
	fake := newFakeServer(t)
	host := testenv.StartRegistry(t, "", "")
	ref := host + "/busybox:1"
	id := pushImage(t, t.TempDir(), ref)
	instance := newInstance()
	r := newRunner(t, e, docker.Options{Binary: tuskBinary(t), Socket: fake.sock, Instance: instance, DockerConfig: t.TempDir()})

	if err := ensurePulled(t, r, workers("pulled", ref)); err != nil {
		t.Fatalf("Ensure after the pull = %v", err)
	}
	if got := runningImage(t, e, instance, "pulled"); got != id {
		t.Errorf("the worker runs image %s, want the pushed %s", got, id)
	}
	for image, want := range map[string]string{
		host + "/busybox:nope":   "manifest unknown",
		host + "/missing:latest": "name unknown",
	} {
		err := ensurePulled(t, r, workers("wrong", image))
		if err == nil || !strings.Contains(err.Error(), "pull image "+image) || !strings.Contains(err.Error(), want) {
			t.Errorf("Ensure of %s = %v, want the registry's %q", image, err, want)
		}
	}
}

// TestPullPolicy: a tag other than latest is pulled only when missing; a
// latest tag is pulled each time workers start; an image built on the
// engine, never pulled or pushed, runs without a pull whatever its tag.
func TestPullPolicy(t *testing.T) {
	e := needDocker(t)
	fake := newFakeServer(t)
	host := testenv.StartRegistry(t, "", "")
	instance := newInstance()
	r := newRunner(t, e, docker.Options{Binary: tuskBinary(t), Socket: fake.sock, Instance: instance, DockerConfig: t.TempDir()})
	ctx := context.Background()

	for _, tt := range []struct {
		tag    string
		always bool
	}{{"1", false}, {"latest", true}} {
		ref := host + "/policy:" + tt.tag
		first := pushImage(t, t.TempDir(), ref)
		w := workers("policy", ref)
		if err := ensurePulled(t, r, w); err != nil {
			t.Fatal(err)
		}
		// The tag moves in the registry, pushed by another of its names
		// so that the engine's tag stays.
		second := pushImage(t, t.TempDir(), strings.Replace(ref, "127.0.0.1:", "localhost:", 1))
		w.Version = 2
		var err error
		if tt.always {
			err = ensurePulled(t, r, w)
		} else {
			err = r.Ensure(ctx, w)
		}
		if err != nil {
			t.Fatalf("%s: Ensure of version 2 = %v", ref, err)
		}
		want := first
		if tt.always {
			want = second
		}
		if got := runningImage(t, e, instance, "policy"); got != want {
			t.Errorf("%s: version 2 runs %s, want %s (pulled again: %v)", ref, got, want, tt.always)
		}
		if err := r.Stop(ctx, "policy"); err != nil {
			t.Fatal(err)
		}
	}

	// testImage is tagged latest but was built here.
	if err := r.Ensure(ctx, workers("local", testImage)); err != nil {
		t.Errorf("Ensure of the local %s = %v, want its workers started without a pull", testImage, err)
	}
}

// privateImage pushes an image to ref, the repository private of a
// registry that only user may use, logged in with the docker config in
// config, and returns them with the registry's host and the image's ID.
func privateImage(t *testing.T, user, password string) (host, config, ref, id string) {
	t.Helper()
	host = testenv.StartRegistry(t, user, password)
	config = t.TempDir()
	dockerLogin(t, config, host, user, password)
	ref = host + "/private:1"
	return host, config, ref, pushImage(t, config, ref)
}

// TestPullWithCredentials: a protected repository is pulled with the
// credentials docker login stored in the docker config, and fails without
// them with the registry's reason.
func TestPullWithCredentials(t *testing.T) {
	e := needDocker(t)
	fake := newFakeServer(t)
	host, config, ref, id := privateImage(t, "alice", "s3cret")

	anonymous := newRunner(t, e, docker.Options{Binary: tuskBinary(t), Socket: fake.sock, Instance: newInstance(), DockerConfig: t.TempDir()})
	err := ensurePulled(t, anonymous, workers("private", ref))
	if err == nil || !strings.Contains(err.Error(), "no basic auth credentials") || !strings.Contains(err.Error(), "docker login "+host) {
		t.Errorf("Ensure without credentials = %v, want the registry's refusal and a hint to log in", err)
	}

	instance := newInstance()
	r := newRunner(t, e, docker.Options{Binary: tuskBinary(t), Socket: fake.sock, Instance: instance, DockerConfig: config})
	if err := ensurePulled(t, r, workers("private", ref)); err != nil {
		t.Fatalf("Ensure with credentials = %v", err)
	}
	if got := runningImage(t, e, instance, "private"); got != id {
		t.Errorf("the worker runs image %s, want the pushed %s", got, id)
	}
}

// secrets are Tusk's secrets by name, as the server opens them.
type secrets map[string]map[string][]byte

func (s secrets) Secret(_ context.Context, name string) (map[string][]byte, error) {
	if v, ok := s[name]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("secret %q not found", name)
}

// TestPullWithSecret: a protected repository is pulled with the
// credentials of the first of the pipeline's image_pull_secrets (Tusk
// secrets holding a docker config, as kubectl create secret
// docker-registry makes them) that has some for its registry, not with
// the server's docker config; a secret that holds no docker config is
// refused saying how to make one.
func TestPullWithSecret(t *testing.T) {
	e := needDocker(t)
	fake := newFakeServer(t)
	_, config, ref, id := privateImage(t, "bob", "pa55")
	dockerConfig, err := os.ReadFile(filepath.Join(config, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	store := secrets{
		"regcred": {".dockerconfigjson": dockerConfig},
		"elsewhere": {".dockerconfigjson": []byte(`{"auths": {"registry.example:5000": {"auth": "` +
			base64.StdEncoding.EncodeToString([]byte("eve:nope")) + `"}}}`)},
		"plain": {"token": []byte("abc")},
	}
	if r := newRunner(t, e, docker.Options{Binary: tuskBinary(t), Socket: fake.sock, Instance: newInstance()}); r.Supports(runner.FeaturePullSecrets) {
		t.Error("a runner without secrets supports image pull secrets")
	}

	w := workers("private", ref)
	plain := newRunner(t, e, docker.Options{Binary: tuskBinary(t), Socket: fake.sock, Instance: newInstance(), DockerConfig: t.TempDir(), Secrets: store})
	w.PullSecrets = []string{"plain"}
	err = ensurePulled(t, plain, w)
	if err == nil || !strings.Contains(err.Error(), "image_pull_secrets plain: the secret has no key .dockerconfigjson") ||
		!strings.Contains(err.Error(), "kubectl create secret docker-registry plain") {
		t.Errorf("Ensure with a secret that holds no docker config = %v, want a refusal saying how to make one", err)
	}

	instance := newInstance()
	r := newRunner(t, e, docker.Options{Binary: tuskBinary(t), Socket: fake.sock, Instance: instance, DockerConfig: t.TempDir(), Secrets: store})
	if !r.Supports(runner.FeaturePullSecrets) {
		t.Fatal("a runner with secrets does not support image pull secrets")
	}
	w.PullSecrets = []string{"elsewhere", "regcred"}
	if err := ensurePulled(t, r, w); err != nil {
		t.Fatalf("Ensure with the pull secret = %v", err)
	}
	if got := runningImage(t, e, instance, "private"); got != id {
		t.Errorf("the worker runs image %s, want the pushed %s", got, id)
	}
}

// TestCloseEndsPulls: Close ends the pulls the runner began, and waits for
// them, even one that the registry never answers (without that, Close
// would wait for the pull's timeout, half an hour).
func TestCloseEndsPulls(t *testing.T) {
	e := needDocker(t)
	fake := newFakeServer(t)
	var asked atomic.Bool
	// A registry that never answers for a manifest, until the request ends.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.URL.Path, "/manifests/") {
			w.WriteHeader(http.StatusOK)
			return
		}
		asked.Store(true)
		<-r.Context().Done()
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	r := newRunner(t, e, docker.Options{Binary: tuskBinary(t), Socket: fake.sock, Instance: newInstance(), DockerConfig: t.TempDir()})
	var prep *runner.Preparing
	if err := r.Ensure(context.Background(), workers("hung", l.Addr().String()+"/hung:1")); !errors.As(err, &prep) {
		t.Fatalf("Ensure = %v, want runner.Preparing", err)
	}
	testenv.Eventually(t, time.Minute, "the engine asks the registry for the manifest", asked.Load)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Ensure(context.Background(), workers("hung", l.Addr().String()+"/hung:1")); err == nil || errors.As(err, &prep) {
		t.Errorf("Ensure after Close = %v, want an error", err)
	}
}
