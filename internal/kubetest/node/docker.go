package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tuskdata/tusk/internal/dockerengine"
)

// Labels on every container the agent makes: the node owns it, and the
// pod (by UID) and the pod's container it runs.
const (
	labelNode      = "tusk.kubenode.node"
	labelPodUID    = "tusk.kubenode.pod-uid"
	labelPod       = "tusk.kubenode.pod"
	labelContainer = "tusk.kubenode.container"
	labelOwner     = "tusk.kubenode.owner" // host/pid of the agent's process
)

// docker is the agent's client of the Docker engine.
type docker struct{ *dockerengine.Client }

// create creates a container named name and returns its ID.
func (d docker) create(ctx context.Context, name string, cfg *createConfig) (string, error) {
	var out struct{ ID string }
	if err := d.Call(ctx, http.MethodPost, "/containers/create", url.Values{"name": {name}}, cfg, &out); err != nil {
		return "", fmt.Errorf("create container %s: %w", name, err)
	}
	return out.ID, nil
}

// start starts a created or stopped container.
func (d docker) start(ctx context.Context, id string) error {
	if err := d.Start(ctx, id); err != nil {
		return fmt.Errorf("start container %.12s: %w", id, err)
	}
	return nil
}

// stop stops the containers ids at once: SIGTERM, then SIGKILL after
// grace seconds.
func (d docker) stop(ctx context.Context, ids []string, grace int64) error {
	return each(ids, func(id string) error {
		err := d.Call(ctx, http.MethodPost, "/containers/"+id+"/stop", url.Values{"t": {strconv.FormatInt(grace, 10)}}, nil, nil)
		if err != nil && !dockerengine.IsStatus(err, http.StatusNotFound) {
			return fmt.Errorf("stop container %.12s: %w", id, err)
		}
		return nil
	})
}

// each calls f on every one of ids at once, and joins their errors.
func each(ids []string, f func(id string) error) error {
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() { errs[i] = f(id) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// state is what the engine's inspection says of a container's process.
type state struct {
	Status     string // created, running, exited, …
	Running    bool
	OOMKilled  bool
	ExitCode   int32
	Error      string
	StartedAt  time.Time
	FinishedAt time.Time
}

// exited reports whether the container ran and stopped, or could not
// start: a container still "created" after its start failed.
func (s state) exited() bool {
	return !s.Running && (s.Status == "exited" || s.Status == "created" || s.Status == "dead")
}

// containerJSON is the part of a container's inspection the agent reads.
type containerJSON struct {
	ID              string `json:"Id"`
	Image           string
	State           state
	NetworkSettings struct {
		Networks map[string]struct{ IPAddress string }
	}
}

// inspectOne inspects the container id.
func (d docker) inspectOne(ctx context.Context, id string) (containerJSON, error) {
	var c containerJSON
	err := d.Call(ctx, http.MethodGet, "/containers/"+id+"/json", nil, nil, &c)
	return c, err
}

// inspect returns the state and image ID (in the engine) of each
// container of ids that still exists, inspecting them at once.
func (d docker) inspect(ctx context.Context, ids []string) (map[string]inspected, error) {
	var mu sync.Mutex
	m := make(map[string]inspected, len(ids))
	err := each(ids, func(id string) error {
		c, err := d.inspectOne(ctx, id)
		if dockerengine.IsStatus(err, http.StatusNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("inspect container %.12s: %w", id, err)
		}
		mu.Lock()
		m[id] = inspected{state: c.State, imageID: c.Image}
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

type inspected struct {
	state   state
	imageID string
}

// dockerImage is what the engine says of an image.
type dockerImage dockerengine.Image

// image inspects the image ref (a reference or an ID).
func (d docker) image(ctx context.Context, ref string) (dockerImage, error) {
	img, err := d.InspectImage(ctx, ref)
	if err != nil {
		return dockerImage{}, fmt.Errorf("inspect image %s: %w", ref, err)
	}
	return dockerImage(img), nil
}

// pull pulls the image ref from its registry.
func (d docker) pull(ctx context.Context, ref string) error {
	name, tag := repository(ref), "latest"
	if _, digest, ok := strings.Cut(ref, "@"); ok {
		tag = digest
	} else if rest := ref[len(name):]; rest != "" {
		tag = rest[1:]
	}
	return d.Pull(ctx, name, tag, "")
}

// kubeletID is the image's ID as a kubelet on Docker (cri-dockerd)
// reports it in a container's status (imageID), for a container made
// from ref: docker-pullable://NAME@sha256:… for an image from a registry,
// the digest of ref's repository if it has one; else docker://sha256:…,
// its ID in the engine.
func (im dockerImage) kubeletID(ref string) string {
	if len(im.RepoDigests) == 0 {
		return "docker://" + im.ID
	}
	repo := repository(ref)
	for _, d := range im.RepoDigests {
		if name, _, _ := strings.Cut(d, "@"); name == repo {
			return "docker-pullable://" + d
		}
	}
	return "docker-pullable://" + im.RepoDigests[0]
}

// repository is ref without its tag and digest: host:port/name:tag@sha256:…
// is host:port/name.
func repository(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		ref = ref[:i]
	}
	return ref
}

// list returns the IDs of the containers, running or not, whose labels
// match every one of filters ("key=value").
func (d docker) list(ctx context.Context, filters ...string) ([]string, error) {
	cs, err := d.List(ctx, filters...)
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids, nil
}

// remove removes containers, running or not, with their anonymous volumes.
func (d docker) remove(ctx context.Context, ids []string) error {
	return each(ids, func(id string) error {
		if err := d.Remove(ctx, id); err != nil {
			return fmt.Errorf("remove container %.12s: %w", id, err)
		}
		return nil
	})
}

// deaths calls died with the pod UID of each container of node that
// stops, until ctx ends or the event stream fails.
func (d docker) deaths(ctx context.Context, node string, died func(uid string)) error {
	q := url.Values{"filters": {dockerengine.Filters(map[string][]string{
		"type": {"container"}, "event": {"die"}, "label": {labelNode + "=" + node},
	})}}
	resp, err := d.Send(ctx, http.MethodGet, "/events", q, nil)
	if err != nil {
		return fmt.Errorf("docker events: %w", err)
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	for {
		var ev struct {
			Actor struct{ Attributes map[string]string }
		}
		if err := dec.Decode(&ev); err != nil {
			if ctx.Err() != nil || errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("docker events: %w", err)
		}
		died(ev.Actor.Attributes[labelPodUID])
	}
}

// network is a Docker network as the engine lists it.
type network struct {
	Name   string
	Labels map[string]string
	IPAM   struct{ Config []struct{ Gateway string } }
}

// createNetwork makes a bridge network with labels.
func (d docker) createNetwork(ctx context.Context, name string, labels map[string]string) error {
	body := map[string]any{"Name": name, "Driver": "bridge", "Labels": labels}
	if err := d.Call(ctx, http.MethodPost, "/networks/create", nil, body, nil); err != nil {
		return fmt.Errorf("create network %s: %w", name, err)
	}
	return nil
}

// gateway returns the gateway of the network name.
func (d docker) gateway(ctx context.Context, name string) (string, error) {
	var n network
	if err := d.Call(ctx, http.MethodGet, "/networks/"+name, nil, nil, &n); err != nil {
		return "", fmt.Errorf("inspect network %s: %w", name, err)
	}
	for _, c := range n.IPAM.Config {
		if c.Gateway != "" {
			return c.Gateway, nil
		}
	}
	return "", fmt.Errorf("network %s has no gateway", name)
}

// removeNetwork removes the network name.
func (d docker) removeNetwork(ctx context.Context, name string) error {
	if err := d.Call(ctx, http.MethodDelete, "/networks/"+name, nil, nil, nil); err != nil {
		return fmt.Errorf("remove network %s: %w", name, err)
	}
	return nil
}

// owner is the value of labelOwner for this process.
var owner = func() string {
	host, _ := os.Hostname()
	return host + "/" + strconv.Itoa(os.Getpid())
}()

// removeOrphans removes the containers and networks of agents whose
// process ended without removing them (a test killed before its
// cleanup), on this host.
func (d docker) removeOrphans(ctx context.Context) error {
	cs, err := d.List(ctx, labelOwner)
	if err != nil {
		return fmt.Errorf("list containers: %w", err)
	}
	var ids []string
	for _, c := range cs {
		if orphaned(c.Labels[labelOwner]) {
			ids = append(ids, c.ID)
		}
	}
	if err := d.remove(ctx, ids); err != nil {
		return err
	}
	var nets []network
	q := url.Values{"filters": {dockerengine.Filters(map[string][]string{"label": {labelOwner}})}}
	if err := d.Call(ctx, http.MethodGet, "/networks", q, nil, &nets); err != nil {
		return fmt.Errorf("list networks: %w", err)
	}
	var errs []error
	for _, n := range nets {
		if orphaned(n.Labels[labelOwner]) {
			errs = append(errs, d.removeNetwork(ctx, n.Name))
		}
	}
	return errors.Join(errs...)
}

// orphaned reports whether own, a labelOwner "HOST/PID", names a process
// of this host that no longer runs.
func orphaned(own string) bool {
	host, _ := os.Hostname()
	h, p, _ := strings.Cut(own, "/")
	pid, err := strconv.Atoi(p)
	if h != host || err != nil || pid <= 0 {
		return false
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
