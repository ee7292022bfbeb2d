package runner

import (
	"fmt"

	"github.com/distribution/reference"
)

// PullPolicy says when a runner pulls a pipeline's image from its
// registry, as Kubernetes' imagePullPolicy does; its values are
// Kubernetes' own, so that a runner of pods passes them on as they are.
type PullPolicy string

const (
	// PullIfNotPresent pulls an image only when the host lacks it.
	PullIfNotPresent PullPolicy = "IfNotPresent"
	// PullAlways pulls an image every time workers start, so that a
	// moving tag runs what the registry holds now.
	PullAlways PullPolicy = "Always"
)

// ImagePullPolicy returns the pull policy of a pipeline's image, as
// Kubernetes picks it when a pod does not say: Always for a reference
// tagged latest or with neither tag nor digest, IfNotPresent for any
// other tag or a digest (which names one image for ever).
func ImagePullPolicy(image string) (PullPolicy, error) {
	ref, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return "", fmt.Errorf("transform.image %q: %w", image, err)
	}
	if _, ok := ref.(reference.Digested); ok {
		return PullIfNotPresent, nil
	}
	if tagged, ok := ref.(reference.Tagged); ok && tagged.Tag() != "latest" {
		return PullIfNotPresent, nil
	}
	return PullAlways, nil
}

// Pull says whether a runner pulls the image before workers start:
// present says the host has an image of that name, fromRegistry that the
// copy it has came from a registry. An image built or loaded on the host
// (it has no registry digest) is not from a registry and runs as it is,
// whatever its tag, so that `docker build -t name .` works as it reads.
func (p PullPolicy) Pull(present, fromRegistry bool) bool {
	return !present || p == PullAlways && fromRegistry
}
