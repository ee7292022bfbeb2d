package docker_test

import (
	"context"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusktest"
)

// TestNewLeaderRemovesDeadLeadersContainers runs two servers as tusk up
// processes with the docker runner on one PostgreSQL database and one
// object store, and kills the leader with SIGKILL while its workers wait
// for work. The dead leader's containers run on without it; the server
// that leads next removes them and starts its own.
func TestNewLeaderRemovesDeadLeadersContainers(t *testing.T) {
	e := needDocker(t)
	bin := tuskBinary(t)
	dsn := testenv.PostgresDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	objects := t.TempDir()
	pipeline := newInstance() // its containers are told apart by its name
	t.Cleanup(func() {
		for _, c := range e.containers("tusk.pipeline=" + pipeline) {
			e.remove(c.ID)
		}
	})
	start := func() (*tusktest.UpProcess, *client.Client) {
		u := tusktest.StartUp(t, bin, "--runner", "docker", "--metadata", dsn, "--storage", objects)
		c, err := client.New(u.Addr, client.WithToken(u.Token))
		if err != nil {
			t.Fatal(err)
		}
		return u, c
	}
	leads := func(c *client.Client) bool {
		info, err := c.Info(ctx)
		return err == nil && info.Leader
	}
	first, leader := start()
	testenv.Eventually(t, 30*time.Second, "the first server leads", func() bool { return leads(leader) })
	_, follower := start()
	if _, err := follower.CreateRepo(ctx, "in", ""); err != nil {
		t.Fatal(err)
	}
	spec := `{"pipeline": {"name": "` + pipeline + `"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"parallelism_spec": {"constant": 2}, "transform": {"image": "` + testImage + `", "cmd": ["true"]}}`
	if _, err := follower.CreatePipeline(ctx, []byte(spec), false, false, false); err != nil {
		t.Fatal(err)
	}
	// servers returns the servers whose containers of the pipeline run,
	// with how many each has, and how many containers are not running.
	servers := func() (running map[string]int, stopped int) {
		running = map[string]int{}
		for _, c := range e.containers("tusk.pipeline=" + pipeline) {
			if c.State.Running {
				running[c.Config.Labels["tusk.server"]]++
			} else {
				stopped++
			}
		}
		return running, stopped
	}
	var dead string
	testenv.Eventually(t, time.Minute, "the leader's two containers run", func() bool {
		running, _ := servers()
		for s, n := range running {
			dead = s
			return len(running) == 1 && n == 2 && s != ""
		}
		return false
	})

	first.Kill()
	testenv.Eventually(t, time.Minute, "the other server leads", func() bool { return leads(follower) })
	testenv.Eventually(t, time.Minute, "the dead leader's containers are gone and the new leader's two run", func() bool {
		running, stopped := servers()
		return running[dead] == 0 && stopped == 0 && len(running) == 1 && running[""] == 0 && sum(running) == 2
	})
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
