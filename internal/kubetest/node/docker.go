package node

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
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

// docker runs the docker CLI.
type docker struct{ bin string }

// run runs docker with args and returns its standard output, trimmed. On
// failure the output is returned too (inspect prints what it found) and
// the error carries the CLI's standard error.
func (d docker) run(ctx context.Context, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, d.bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	out := strings.TrimSpace(stdout.String())
	if err != nil {
		return out, fmt.Errorf("docker %s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// state is what `docker inspect` says of a container's process.
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
// start: a container still "created" after `docker start` failed.
func (s state) exited() bool {
	return !s.Running && (s.Status == "exited" || s.Status == "created" || s.Status == "dead")
}

// inspect returns the state and image ID (in the engine) of each
// container of ids that still exists.
func (d docker) inspect(ctx context.Context, ids []string) (map[string]inspected, error) {
	out, err := d.run(ctx, append([]string{"inspect", "--type", "container"}, ids...)...)
	if out == "" {
		return nil, err
	}
	var list []struct {
		ID    string `json:"Id"`
		Image string
		State state
	}
	if jerr := json.Unmarshal([]byte(out), &list); jerr != nil {
		return nil, fmt.Errorf("docker inspect: %w", jerr)
	}
	m := make(map[string]inspected, len(list))
	for _, c := range list {
		m[c.ID] = inspected{state: c.State, imageID: c.Image}
	}
	return m, nil
}

type inspected struct {
	state   state
	imageID string
}

// dockerImage is what `docker image inspect` says of an image.
type dockerImage struct {
	ID          string
	RepoDigests []string
}

// image inspects the image ref (a reference or an ID).
func (d docker) image(ctx context.Context, ref string) (dockerImage, error) {
	out, err := d.run(ctx, "image", "inspect", "--format", "{{.Id}}{{range .RepoDigests}} {{.}}{{end}}", ref)
	if err != nil {
		return dockerImage{}, err
	}
	f := strings.Fields(out)
	if len(f) == 0 {
		return dockerImage{}, fmt.Errorf("docker image inspect %s: no ID", ref)
	}
	return dockerImage{ID: f[0], RepoDigests: f[1:]}, nil
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
	args := []string{"ps", "-aq", "--no-trunc"}
	for _, f := range filters {
		args = append(args, "--filter", "label="+f)
	}
	out, err := d.run(ctx, args...)
	if err != nil {
		return nil, err
	}
	return strings.Fields(out), nil
}

// remove removes containers, running or not, with their anonymous volumes.
func (d docker) remove(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := d.run(ctx, append([]string{"rm", "-f", "-v"}, ids...)...)
	return err
}

// deaths calls died with the pod UID of each container of node that
// stops, until ctx ends or the event stream fails.
func (d docker) deaths(ctx context.Context, node string, died func(uid string)) error {
	cmd := exec.CommandContext(ctx, d.bin, "events",
		"--filter", "type=container", "--filter", "event=die",
		"--filter", "label="+labelNode+"="+node,
		"--format", `{{index .Actor.Attributes "`+labelPodUID+`"}}`)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("docker events: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("docker events: %w", err)
	}
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		died(strings.TrimSpace(lines.Text()))
	}
	if err := cmd.Wait(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("docker events: %w", err)
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
	out, err := d.run(ctx, "ps", "-a", "--no-trunc", "--filter", "label="+labelOwner, "--format", `{{.ID}} {{.Label "`+labelOwner+`"}}`)
	if err != nil {
		return err
	}
	if err := d.remove(ctx, orphans(out)); err != nil {
		return err
	}
	out, err = d.run(ctx, "network", "ls", "--filter", "label="+labelOwner, "--format", `{{.Name}} {{.Label "`+labelOwner+`"}}`)
	if err != nil {
		return err
	}
	if nets := orphans(out); len(nets) > 0 {
		_, err = d.run(ctx, append([]string{"network", "rm"}, nets...)...)
	}
	return err
}

// orphans returns the first field of each line "NAME HOST/PID" whose
// process is of this host and no longer runs.
func orphans(lines string) []string {
	host, _ := os.Hostname()
	var names []string
	for line := range strings.Lines(lines) {
		name, own, _ := strings.Cut(strings.TrimSpace(line), " ")
		h, p, _ := strings.Cut(own, "/")
		pid, err := strconv.Atoi(p)
		if h != host || err != nil || pid <= 0 {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			names = append(names, name)
		}
	}
	return names
}
