package kube

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestWorkerImage: the image of a worker is its pod's worker container's
// imageID, as kubelets on Docker and on containerd write it, never the
// init container's; a registry's image has a digest, a local one only
// an ID.
func TestWorkerImage(t *testing.T) {
	pod := func(name, imageID string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Status: corev1.PodStatus{
			InitContainerStatuses: []corev1.ContainerStatus{{Name: installName, ImageID: "docker-pullable://reg.example/tusk@sha256:1"}},
			ContainerStatuses:     []corev1.ContainerStatus{{Name: workerName, ImageID: imageID}}}}
	}
	tr := newTestRunner(t, "server-1",
		pod("docker", "docker-pullable://reg.example/img@sha256:2"),
		pod("containerd", "reg.example/img@sha256:3"),
		pod("local", "docker://sha256:4"))
	for worker, want := range map[string][2]string{
		"docker":     {"reg.example/img@sha256:2", "reg.example/img@sha256:2"},
		"containerd": {"reg.example/img@sha256:3", "reg.example/img@sha256:3"},
		"local":      {"sha256:4", ""},
	} {
		id, digest, err := tr.WorkerImage(context.Background(), worker)
		if err != nil || id != want[0] || digest != want[1] {
			t.Errorf("%s: %q %q %v, want %q", worker, id, digest, err, want)
		}
	}
	if _, _, err := tr.WorkerImage(context.Background(), "gone"); err == nil {
		t.Error("the image of a worker with no pod: no error")
	}
}
