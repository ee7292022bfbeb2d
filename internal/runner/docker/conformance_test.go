package docker_test

import (
	"net/http"
	"testing"

	"github.com/tuskdata/tusk/internal/runner/docker"
	"github.com/tuskdata/tusk/internal/runner/runnertest"
)

// TestConformance runs the runner conformance suite on the docker runner,
// whose workers it finds by asking the engine for the containers of the
// runner's instance.
func TestConformance(t *testing.T) {
	needDocker(t)
	bin := tuskBinary(t)
	runnertest.Run(t, func(t *testing.T, api runnertest.API) runnertest.Target {
		e := needDocker(t)
		instance := newInstance()
		r := newRunner(t, e, docker.Options{Binary: bin, Socket: api.Socket, Instance: instance, Credentials: api.Credentials})
		return runnertest.Target{
			Runner: r,
			Image:  testImage,
			Workers: func(t *testing.T) map[string]string {
				out := map[string]string{}
				for _, c := range e.containers("tusk.instance=" + instance) {
					out[c.Config.Labels["tusk.worker"]] = c.ID
				}
				return out
			},
			Kill: func(t *testing.T, id string) { e.call(http.MethodPost, "/containers/"+id+"/kill", nil, nil, nil) },
		}
	})
}
