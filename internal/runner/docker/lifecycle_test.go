package docker_test

import (
	"context"
	"debug/elf"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/runner/docker"
)

func TestNewRemovesLeftoversOfItsInstanceOnly(t *testing.T) {
	e := needDocker(t)
	fake := newFakeServer(t)
	mine, other := newInstance(), newInstance()
	leftover := func(instance string) string {
		var out struct{ ID string }
		e.call(http.MethodPost, "/containers/create", nil, map[string]any{
			"Image": testImage, "Cmd": []string{"sleep", "600"},
			"Labels": map[string]string{"tusk.instance": instance, "tusk.pipeline": "old", "tusk.worker": "old-v1-0"},
		}, &out)
		e.call(http.MethodPost, "/containers/"+out.ID+"/start", nil, nil, nil)
		t.Cleanup(func() { e.remove(out.ID) })
		return out.ID
	}
	leftover(mine)
	theirs := leftover(other)

	newRunner(t, e, docker.Options{Binary: tuskBinary(t), Socket: fake.sock, Instance: mine})
	if n := len(e.containers("tusk.instance=" + mine)); n != 0 {
		t.Errorf("%d containers of a previous run of this instance left", n)
	}
	if cs := e.containers("tusk.instance=" + other); len(cs) != 1 || cs[0].ID != theirs || !cs[0].State.Running {
		t.Errorf("the other instance's container was touched: %+v", cs)
	}
}

// TestRemoveDeadWorkers: a server that begins to lead removes the
// containers of its cluster's servers that died, and leaves its own, those
// of servers alive and those of another cluster on the engine.
func TestRemoveDeadWorkers(t *testing.T) {
	e := needDocker(t)
	fake := newFakeServer(t)
	cluster, other := newInstance(), newInstance()
	// Containers of other servers, as a dead server leaves them: running.
	container := func(cluster, server string) string {
		var out struct{ ID string }
		e.call(http.MethodPost, "/containers/create", nil, map[string]any{
			"Image": testImage, "Cmd": []string{"sleep", "600"},
			"Labels": map[string]string{"tusk.instance": newInstance(), "tusk.cluster": cluster, "tusk.server": server,
				"tusk.pipeline": "p", "tusk.worker": "p-v1-0"},
		}, &out)
		e.call(http.MethodPost, "/containers/"+out.ID+"/start", nil, nil, nil)
		t.Cleanup(func() { e.remove(out.ID) })
		return out.ID
	}
	dead := container(cluster, "dead")
	alive := container(cluster, "alive")
	otherCluster := container(other, "dead")

	instance := newInstance()
	r := newRunner(t, e, docker.Options{Binary: tuskBinary(t), Socket: fake.sock, Instance: instance, Cluster: cluster, Server: "me"})
	if err := r.Ensure(t.Context(), workers("mine", testImage)); err != nil {
		t.Fatal(err)
	}
	mine := e.containers("tusk.instance=" + instance)
	if len(mine) != 1 || mine[0].Config.Labels["tusk.cluster"] != cluster || mine[0].Config.Labels["tusk.server"] != "me" {
		t.Fatalf("the runner's containers: %+v, want one labelled with cluster %s and server me", mine, cluster)
	}

	var asked []string
	err := r.RemoveDeadWorkers(t.Context(), func(server string) bool {
		asked = append(asked, server)
		return server == "alive"
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(asked)
	if !slices.Equal(asked, []string{"alive", "dead"}) {
		t.Errorf("asked whether %v are alive, want alive and dead: this server's own need no asking, another cluster's no look", asked)
	}
	left := ids(e.containers("tusk.cluster=" + cluster))
	if want := ids([]inspection{{ID: alive}, {ID: mine[0].ID}}); !slices.Equal(left, want) {
		t.Errorf("the cluster's containers after RemoveDeadWorkers: %v, want those of the live server and this one, %v (the dead one's was %s)", left, want, dead)
	}
	if cs := e.containers("tusk.cluster=" + other); len(cs) != 1 || cs[0].ID != otherCluster || !cs[0].State.Running {
		t.Errorf("another cluster's container was touched: %+v", cs)
	}
}

// TestWorkerBinaryMustBeStatic needs no engine: the binary is checked
// first.
func TestWorkerBinaryMustBeStatic(t *testing.T) {
	script := filepath.Join(t.TempDir(), "tusk")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, binary string
		want         []string
	}{
		{"dynamic", dynamicBinary(t), []string{"dynamically linked", "CGO_ENABLED=0"}},
		{"not ELF", script, []string{"not a Linux executable", "CGO_ENABLED=0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := docker.New(context.Background(), docker.Options{Binary: tt.binary, Socket: "/nonexistent.sock", Instance: "x"})
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("New = %v, want an error saying %q", err, w)
				}
			}
		})
	}
}

// dynamicBinary finds a dynamically linked program on this machine.
func dynamicBinary(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/bin/sh", "/bin/ls", "/usr/bin/env"} {
		f, err := elf.Open(p)
		if err != nil {
			continue
		}
		dynamic := false
		for _, prog := range f.Progs {
			dynamic = dynamic || prog.Type == elf.PT_INTERP
		}
		f.Close()
		if dynamic {
			return p
		}
	}
	t.Skip("no dynamically linked program found")
	return ""
}
