package docker

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/tuskdata/tusk/internal/dockerengine"
)

// engine is the runner's client of the Docker engine: the shared client,
// and the calls on containers only the runner makes.
type engine struct{ *dockerengine.Client }

// create creates a container named name and returns its ID and the
// engine's warnings (such as limits the kernel cannot apply).
func (e engine) create(ctx context.Context, name string, req *createRequest) (string, []string, error) {
	var out struct {
		ID       string
		Warnings []string
	}
	if err := e.Call(ctx, http.MethodPost, "/containers/create", url.Values{"name": {name}}, req, &out); err != nil {
		return "", nil, err
	}
	return out.ID, out.Warnings, nil
}

// wait blocks until the container is not running, and returns its exit
// code.
func (e engine) wait(ctx context.Context, id string) (int, error) {
	var out struct {
		StatusCode int
		Error      *struct{ Message string }
	}
	if err := e.Call(ctx, http.MethodPost, "/containers/"+id+"/wait", url.Values{"condition": {"not-running"}}, nil, &out); err != nil {
		return 0, err
	}
	if out.Error != nil && out.Error.Message != "" {
		return 0, fmt.Errorf("wait for container: %s", out.Error.Message)
	}
	return out.StatusCode, nil
}

// containerState is the part of a container's inspection the runner reads.
type containerState struct {
	Status    string
	OOMKilled bool
	Error     string
}

// state returns a container's state.
func (e engine) state(ctx context.Context, id string) (containerState, error) {
	var out struct{ State containerState }
	err := e.Call(ctx, http.MethodGet, "/containers/"+id+"/json", nil, nil, &out)
	return out.State, err
}
