package docker

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/distribution/reference"

	"github.com/tuskdata/tusk/internal/dockerengine"
	"github.com/tuskdata/tusk/internal/runner"
)

// Images are pulled with the pull policy the runners share
// (runner.ImagePullPolicy, Kubernetes' defaults): a reference with a tag
// other than latest, or with a digest, is pulled only if the engine lacks
// it (IfNotPresent); one tagged latest, or untagged, is pulled every time
// workers start (Always). An image the engine built or loaded itself (it
// has no registry digest) is not from a registry: it runs as it is,
// whatever its tag, so that `docker build -t name .` works as before.
//
// A pull runs in the background: Ensure returns runner.Preparing
// ("pulling image X") until it ends, then starts the workers, or returns
// the pull's error (the engine's message, which holds the registry's)
// until pullRetry has passed and a new pull begins.

// pullRetry is how long a failed pull is reported before it is tried
// again.
const pullRetry = 10 * time.Second

// pullTimeout bounds one pull.
const pullTimeout = 30 * time.Minute

// pullState is a pull the engine runs in the background.
type pullState struct {
	done  chan struct{}
	err   error     // set before done is closed
	ended time.Time // set before done is closed
}

// localImage is the image workers run in: its engine ID, and its registry
// reference ("host/name@sha256:…"), "" for an image not from a registry.
type localImage struct {
	ID, Digest string
}

// image returns the local image the pipeline's workers run in, pulling it
// as the pull policy says; r.mu is held.
func (r *Runner) image(ctx context.Context, pipeline, name string, pullSecrets []string) (localImage, error) {
	if name == "" {
		return localImage{}, fmt.Errorf("pipeline %s names no transform.image", pipeline)
	}
	policy, err := runner.ImagePullPolicy(name)
	if err != nil {
		return localImage{}, err
	}
	ref, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return localImage{}, fmt.Errorf("transform.image %q: %w", name, err)
	}
	if p, ok := r.pulls[name]; ok {
		select {
		case <-p.done:
		default:
			return localImage{}, &runner.Preparing{Reason: "pulling image " + name}
		}
		if p.err != nil && time.Since(p.ended) < pullRetry {
			return localImage{}, p.err
		}
		delete(r.pulls, name)
		if p.err == nil {
			return r.inspect(ctx, ref, name)
		}
	} else {
		img, err := r.inspect(ctx, ref, name)
		missing := dockerengine.IsStatus(err, http.StatusNotFound)
		if err != nil && !missing {
			return localImage{}, err
		}
		if !policy.Pull(!missing, img.Digest != "") {
			return img, nil
		}
	}
	r.startPull(ref, name, pullSecrets)
	return localImage{}, &runner.Preparing{Reason: "pulling image " + name}
}

// startPull pulls ref in the background, with the registry's credentials
// from the pipeline's pull secrets or the docker config, until it ends or
// the runner closes; r.mu is held.
func (r *Runner) startPull(ref reference.Named, name string, pullSecrets []string) {
	p := &pullState{done: make(chan struct{})}
	r.pulls[name] = p
	r.log.Info("pulling image", "image", name)
	r.pullsDone.Go(func() {
		defer close(p.done)
		ctx, cancel := context.WithTimeout(r.pulling, pullTimeout)
		defer cancel()
		p.err = r.pull(ctx, ref, name, pullSecrets)
		p.ended = time.Now()
		switch {
		case p.err == nil:
			r.log.Info("pulled image", "image", name)
		case r.pulling.Err() == nil: // not ended by Close
			r.log.Warn("image pull failed", "image", name, "err", p.err)
		}
	})
}

// pull pulls ref, with the registry's credentials from the first of
// pullSecrets that has them, else from the docker config if it has any.
func (r *Runner) pull(ctx context.Context, ref reference.Named, name string, pullSecrets []string) error {
	domain := reference.Domain(ref)
	auth, err := r.secretAuth(ctx, pullSecrets, domain)
	if err != nil {
		return fmt.Errorf("pull image %s: %w", name, err)
	}
	if auth == "" {
		if auth, err = pullAuth(r.opts.DockerConfig, domain); err != nil {
			return fmt.Errorf("pull image %s: credentials of %s: %w", name, domain, err)
		}
	}
	tag := "latest"
	switch ref := ref.(type) {
	case reference.Digested:
		tag = ref.Digest().String()
	case reference.Tagged:
		tag = ref.Tag()
	}
	if err := r.eng.Pull(ctx, ref.Name(), tag, auth); err != nil {
		hint, msg := "", err.Error()
		if strings.Contains(msg, "credentials") || strings.Contains(msg, "unauthorized") || strings.Contains(msg, "denied") {
			hint = fmt.Sprintf(" (the server reads registry credentials from %s/config.json: docker login %s as the server's user, or set DOCKER_CONFIG)", configDir(r.opts.DockerConfig), domain)
		}
		return fmt.Errorf("pull image %s: %w%s", name, err, hint)
	}
	return nil
}

// inspect returns the local image ref names, with its registry digest for
// ref's repository if it has one.
func (r *Runner) inspect(ctx context.Context, ref reference.Named, name string) (localImage, error) {
	img, err := r.eng.InspectImage(ctx, name)
	if err != nil {
		if dockerengine.IsStatus(err, http.StatusNotFound) {
			return localImage{}, err
		}
		return localImage{}, fmt.Errorf("inspect image %s: %w", name, err)
	}
	out := localImage{ID: img.ID}
	for _, d := range img.RepoDigests {
		if dr, err := reference.ParseNormalizedNamed(d); err == nil && dr.Name() == ref.Name() {
			out.Digest = d
			break
		}
	}
	return out, nil
}
