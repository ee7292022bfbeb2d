package kube

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A worker cannot see the image it runs in; the kubelet of its node
// writes it in the pod's status (the worker container's imageID) once it
// has started the container. WorkerImage reads it there for the
// scheduler, which records it with the worker's datums.

// imageWait bounds how long WorkerImage waits for the kubelet to write a
// running worker's imageID.
const imageWait = 10 * time.Second

// maxCachedImages bounds the images of pods the runner remembers; past
// it, it forgets them all and reads pods again.
const maxCachedImages = 4096

// podImages remembers the image of each worker pod: a pod's image never
// changes.
type podImages struct {
	mu sync.Mutex
	m  map[string][2]string
}

func (c *podImages) get(pod string) ([2]string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[pod]
	return v, ok
}

func (c *podImages) put(pod string, v [2]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedImages {
		c.m = map[string][2]string{}
	}
	c.m[pod] = v
}

// WorkerImage returns the image the worker container of pod worker runs
// in, as its kubelet reports it: id, and digest where the image came
// from a registry (NAME@sha256:…). It waits a little for a kubelet that
// has not written it yet.
func (r *Runner) WorkerImage(ctx context.Context, worker string) (id, digest string, err error) {
	if v, ok := r.images.get(worker); ok {
		return v[0], v[1], nil
	}
	ctx, cancel := context.WithTimeout(ctx, imageWait)
	defer cancel()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		pod, err := r.api.Pods.Get(ctx, worker, metav1.GetOptions{})
		if err != nil {
			return "", "", fmt.Errorf("get worker pod %s: %w", worker, err)
		}
		if id, digest := imageOf(pod); id != "" {
			r.images.put(worker, [2]string{id, digest})
			return id, digest, nil
		}
		select {
		case <-ctx.Done():
			return "", "", fmt.Errorf("worker pod %s: its node reports no imageID for container %s after %v", worker, workerName, imageWait)
		case <-tick.C:
		}
	}
}

// imageOf reads the imageID of the worker container of pod (not of the
// init container, whose image is Tusk's). Kubelets write it with the
// runtime's scheme (docker-pullable://, docker://) or without (containerd:
// NAME@sha256:… or sha256:…); id is it without the scheme, and digest
// the same where it names a registry's image.
func imageOf(pod *corev1.Pod) (id, digest string) {
	for _, s := range pod.Status.ContainerStatuses {
		if s.Name != workerName {
			continue
		}
		_, id, found := strings.Cut(s.ImageID, "://")
		if !found {
			id = s.ImageID
		}
		if strings.Contains(id, "@sha256:") {
			digest = id
		}
		return id, digest
	}
	return "", ""
}
