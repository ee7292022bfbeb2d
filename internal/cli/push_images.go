package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"github.com/distribution/reference"

	"github.com/tuskdata/tusk/internal/pps/spec"
)

// imagePusher pushes pipelines' images from the local Docker engine to a
// registry, with the docker CLI, as `pachctl create pipeline
// --push-images` does: the workers of a cluster then run exactly the image
// the user just built.
type imagePusher struct {
	registry string
	stderr   io.Writer // docker's progress
	docker   string    // the docker CLI's path
}

// pushImages pushes the image of each spec to p.registry under a tag made
// of its image ID (so an unchanged image keeps its tag and a rebuilt one
// gets a new one), and points the spec at what was pushed:
// REGISTRY/NAME:TAG@sha256:DIGEST, which the runners pull as it is.
func (p *imagePusher) pushImages(ctx context.Context, ps []spec.Pipeline) error {
	pushed := map[string]string{} // image → reference, for specs that share one
	for i := range ps {
		img := ps[i].Transform.Image
		if img == "" {
			return fmt.Errorf("push images: pipeline %s has no transform.image to push", ps[i].Name())
		}
		if ref, ok := pushed[img]; ok {
			ps[i].Transform.Image = ref
			continue
		}
		ref, err := p.push(ctx, img)
		if err != nil {
			return fmt.Errorf("push image %s of pipeline %s: %w", img, ps[i].Name(), err)
		}
		pushed[img], ps[i].Transform.Image = ref, ref
	}
	return nil
}

// push pushes one local image and returns the reference that names what
// the registry now holds.
func (p *imagePusher) push(ctx context.Context, img string) (string, error) {
	named, err := reference.ParseNormalizedNamed(img)
	if err != nil {
		return "", fmt.Errorf("not an image reference: %w", err)
	}
	id, err := p.run(ctx, nil, "image", "inspect", "--format", "{{.Id}}", img)
	if err != nil {
		return "", fmt.Errorf("the local Docker engine has no image %s (build it first: docker build -t %s .): %w", img, img, err)
	}
	hexID := strings.TrimPrefix(id, "sha256:")
	if len(hexID) < 12 {
		return "", fmt.Errorf("the engine gave image %s the ID %q", img, id)
	}
	// Inside a registry of its own the image keeps its path (docker.io's
	// library/ prefix aside): myorg/edges:dev → REGISTRY/myorg/edges:TAG.
	path := reference.Path(named)
	if reference.Domain(named) == "docker.io" {
		path = strings.TrimPrefix(path, "library/")
	}
	dest := strings.TrimSuffix(p.registry, "/") + "/" + path
	tagged := dest + ":" + hexID[:12]
	taggedRef, err := reference.ParseNormalizedNamed(tagged)
	if err != nil {
		return "", fmt.Errorf("--registry %s: %w", p.registry, err)
	}
	if _, err := p.run(ctx, nil, "tag", img, tagged); err != nil {
		return "", err
	}
	if _, err := p.run(ctx, p.stderr, "push", tagged); err != nil {
		return "", fmt.Errorf("%w (if the registry needs a login: docker login %s, or give --username)", err, reference.Domain(taggedRef))
	}
	out, err := p.run(ctx, nil, "image", "inspect", "--format", "{{json .RepoDigests}}", tagged)
	if err != nil {
		return "", err
	}
	var digests []string
	if err := json.Unmarshal([]byte(out), &digests); err != nil {
		return "", fmt.Errorf("read the digest docker push made: %w", err)
	}
	repo := taggedRef.Name()
	for _, d := range digests {
		if r, err := reference.ParseNormalizedNamed(d); err == nil && r.Name() == repo {
			if c, ok := r.(reference.Canonical); ok {
				return reference.FamiliarString(taggedRef) + "@" + c.Digest().String(), nil
			}
		}
	}
	return "", fmt.Errorf("docker push of %s left no digest of %s (the engine says %s)", tagged, repo, out)
}

// login runs docker login for the registry as user; docker asks for the
// password on the terminal (or reads it from standard input).
func (p *imagePusher) login(ctx context.Context, user string, stdin io.Reader, stdout io.Writer) error {
	cmd := exec.CommandContext(ctx, p.docker, "login", "--username", user, p.registry)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, p.stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("docker login %s as %s: %w", p.registry, user, err)
	}
	return nil
}

// run runs the docker CLI and returns its trimmed output; progress, when
// not nil, gets the output as it comes instead.
func (p *imagePusher) run(ctx context.Context, progress io.Writer, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, p.docker, args...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if progress != nil {
		cmd.Stdout = progress
	}
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("docker %s: %s", args[0], msg)
	}
	return strings.TrimSpace(out.String()), nil
}

// newImagePusher finds the docker CLI.
func newImagePusher(registry string, stderr io.Writer) (*imagePusher, error) {
	docker, err := exec.LookPath("docker")
	if errors.Is(err, exec.ErrNotFound) {
		return nil, usagef("--push-images needs the docker CLI in $PATH, to push from the local engine")
	}
	if err != nil {
		return nil, err
	}
	return &imagePusher{registry: registry, stderr: stderr, docker: docker}, nil
}
