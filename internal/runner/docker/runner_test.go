package docker_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/runner"
	"github.com/tuskdata/tusk/internal/runner/docker"
	"github.com/tuskdata/tusk/internal/testenv"
)

// fakeServer stands for the server on the worker socket: it answers every
// request for work with "nothing yet" and records which workers asked.
type fakeServer struct {
	sock string
	mu   sync.Mutex
	seen map[string]bool
}

func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	f := &fakeServer{sock: filepath.Join(t.TempDir(), "tusk.sock"), seen: map[string]bool{}}
	ln, err := net.Listen("unix", f.sock)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(f.sock, 0o666); err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/workers/next" {
			f.mu.Lock()
			f.seen[r.URL.Query().Get("worker")] = true
			f.mu.Unlock()
			select {
			case <-time.After(200 * time.Millisecond):
			case <-r.Context().Done():
			}
		}
		w.WriteHeader(http.StatusNoContent)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return f
}

// asked reports whether every worker has asked for work.
func (f *fakeServer) asked(workers ...string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, w := range workers {
		if !f.seen[w] {
			return false
		}
	}
	return true
}

// newRunner starts a runner and removes whatever containers of its
// instance the test leaves.
func newRunner(t *testing.T, e *testEngine, opts docker.Options) *docker.Runner {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	r, err := docker.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.Close()
		for _, c := range e.containers("tusk.instance=" + opts.Instance) {
			e.remove(c.ID)
		}
	})
	return r
}

// workers is one worker of version 1 of pipeline name, in image.
func workers(name, image string) runner.WorkerSpec {
	return runner.WorkerSpec{Pipeline: name, Version: 1, Workers: 1, Image: image}
}

func ids(cs []inspection) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	slices.Sort(out)
	return out
}

// TestRunner checks what is the docker runner's own; the conformance suite
// (TestConformance) checks what every runner promises.
func TestRunner(t *testing.T) {
	e := needDocker(t)
	ctx := context.Background()
	fake := newFakeServer(t)
	bin := tuskBinary(t)
	instance := newInstance()
	r := newRunner(t, e, docker.Options{Binary: bin, Socket: fake.sock, SocketGroup: 4321, Instance: instance})
	imageID := e.imageID(testImage)
	w := workers("conf", testImage)
	w.Workers, w.User, w.Limits = 2, "1000:1000", runner.Resources{CPU: 0.5, Memory: 64 << 20}
	ours := []string{"tusk.instance=" + instance, "tusk.pipeline=conf"}

	t.Run("ensure starts the workers", func(t *testing.T) {
		if err := r.Ensure(ctx, w); err != nil {
			t.Fatal(err)
		}
		cs := e.containers(ours...)
		if len(cs) != 2 {
			t.Fatalf("got %d containers, want 2", len(cs))
		}
		for _, c := range cs {
			checkContainer(t, c, imageID, bin, fake.sock)
		}
		// The shim runs in a FROM scratch image as uid 1000 and reaches
		// the server through the mounted socket.
		testenv.Eventually(t, time.Minute, "both workers ask for work", func() bool { return fake.asked("conf-v1-0", "conf-v1-1") })
	})

	t.Run("ensure reports a killed container", func(t *testing.T) {
		victim := e.containers(append(ours, "tusk.worker=conf-v1-0")...)[0]
		e.call(http.MethodPost, "/containers/"+victim.ID+"/kill", nil, nil, nil)
		testenv.Eventually(t, time.Minute, "a new container runs worker conf-v1-0", func() bool {
			cs := e.containers(append(ours, "tusk.worker=conf-v1-0")...)
			return len(cs) == 1 && cs[0].ID != victim.ID && cs[0].State.Running
		})
		err := r.Ensure(ctx, w)
		if err == nil || !strings.Contains(err.Error(), "worker conf-v1-0: container exited with code 137") {
			t.Errorf("Ensure after a death = %v, want it to report the death", err)
		}
	})

	t.Run("another instance leaves these containers alone", func(t *testing.T) {
		before := ids(e.containers(ours...))
		other := newInstance()
		r2 := newRunner(t, e, docker.Options{Binary: bin, Socket: fake.sock, Instance: other, NoNetwork: true})
		w2 := workers("conf", testImage)
		w2.Requests, w2.Limits = runner.Resources{CPU: 0.25, Memory: 32 << 20}, runner.Resources{Pids: 5000}
		if err := r2.Ensure(ctx, w2); err != nil {
			t.Fatal(err)
		}
		theirs := e.containers("tusk.instance="+other, "tusk.pipeline=conf")
		if len(theirs) != 1 {
			t.Fatalf("the other instance has %d containers, want 1", len(theirs))
		}
		hc := theirs[0].HostConfig
		if hc.NetworkMode != "none" || hc.NanoCpus != 25e7 || hc.Memory != 32<<20 || hc.PidsLimit != 5000 {
			t.Errorf("network %q, cpu %d, memory %d, pids %d; want none, 25e7 (requests), 32 MiB (requests), 5000 (resource_limits.pids)",
				hc.NetworkMode, hc.NanoCpus, hc.Memory, hc.PidsLimit)
		}
		if err := r2.Stop(ctx, "conf"); err != nil {
			t.Fatal(err)
		}
		if err := r2.Close(); err != nil {
			t.Fatal(err)
		}
		if n := len(e.containers("tusk.instance=" + other)); n != 0 {
			t.Errorf("the other instance kept %d containers", n)
		}
		if got := ids(e.containers(ours...)); !slices.Equal(got, before) {
			t.Errorf("containers = %v, want them untouched %v", got, before)
		}
	})
}

// checkContainer checks a worker container's image, user, groups,
// limits, entrypoint, mounts and privileges.
func checkContainer(t *testing.T, c inspection, imageID, bin, sock string) {
	t.Helper()
	worker := c.Config.Labels["tusk.worker"]
	if !c.State.Running || c.Image != imageID || c.Config.User != "1000:1000" || c.Config.Labels["tusk.version"] != "1" {
		t.Errorf("%s: running %v, image %s, user %q, labels %v; want running, %s, 1000:1000, version 1",
			c.Name, c.State.Running, c.Image, c.Config.User, c.Config.Labels, imageID)
	}
	wantCmd := []string{"worker", "--pipeline", "conf", "--id", worker, "--address", "unix:///.tusk/tusk.sock", "--root", "/pfs", "--image-id", imageID, "--user-applied"}
	if !slices.Equal(c.Config.Entrypoint, []string{"/.tusk/tusk"}) || !slices.Equal(c.Config.Cmd, wantCmd) {
		t.Errorf("%s: entrypoint %q cmd %q, want [/.tusk/tusk] %q", c.Name, c.Config.Entrypoint, c.Config.Cmd, wantCmd)
	}
	hc := c.HostConfig
	if hc.NanoCpus != 5e8 || hc.Memory != 64<<20 || hc.PidsLimit != docker.DefaultPidsLimit || hc.Privileged || hc.NetworkMode == "none" ||
		!strings.Contains(hc.Tmpfs["/pfs"], "exec") {
		t.Errorf("%s: host config %+v, want 0.5 CPU, 64 MiB, the default pids limit, not privileged, a network, an exec tmpfs at /pfs", c.Name, hc)
	}
	if !slices.Equal(hc.GroupAdd, []string{"4321"}) {
		t.Errorf("%s: supplementary groups %q, want the worker socket's, 4321", c.Name, hc.GroupAdd)
	}
	if !slices.Equal(hc.SecurityOpt, []string{"no-new-privileges"}) || !slices.Equal(hc.CapDrop, []string{"ALL"}) ||
		slices.Contains(hc.CapAdd, "NET_RAW") || slices.Contains(hc.CapAdd, "SYS_ADMIN") || len(hc.CapAdd) == 0 {
		t.Errorf("%s: security options %q, capabilities dropped %q, added %q; want no-new-privileges, all dropped but a few that hold no raw sockets nor admin",
			c.Name, hc.SecurityOpt, hc.CapDrop, hc.CapAdd)
	}
	mounts := map[string]string{}
	for _, m := range c.Mounts {
		if m.Type != "bind" || m.RW {
			t.Errorf("%s: mount %+v, want read-only binds only", c.Name, m)
		}
		mounts[m.Destination] = m.Source
	}
	if len(mounts) != 2 || mounts["/.tusk/tusk"] != bin || mounts["/.tusk/tusk.sock"] != sock {
		t.Errorf("%s: mounts %v, want the binary and the worker socket only", c.Name, mounts)
	}
}
