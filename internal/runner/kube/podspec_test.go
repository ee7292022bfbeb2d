package kube

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tuskdata/tusk/internal/runner"
)

// secretMap is a SecretSource over a map, as the server's store of
// secrets answers.
type secretMap map[string]map[string][]byte

func (m secretMap) Secret(_ context.Context, name string) (map[string][]byte, error) {
	data, ok := m[name]
	if !ok {
		return nil, fmt.Errorf("secret %s not found", name)
	}
	return data, nil
}

// podSpec is a WorkerSpec that asks for every feature of pods.
func podSpec(p string, v, n int) runner.WorkerSpec {
	secs := int64(300)
	w := spec(p, v, n)
	w.Requests = runner.Resources{CPU: 1}
	w.Limits = runner.Resources{GPUs: 2, GPUType: "nvidia.com/gpu"}
	w.NodeSelector = map[string]string{"disk": "ssd"}
	w.PriorityClass = "tusk-high"
	w.Tolerations = []runner.Toleration{{Key: "gpu", Operator: "Exists", Effect: "NoSchedule"},
		{Key: "spot", Operator: "Equal", Value: "true", Effect: "NoExecute", Seconds: &secs}}
	w.PullSecrets = []string{"regcred"}
	w.PodMergePatch = `{"hostname": "trainer", "dnsPolicy": "Default"}`
	w.PodJSONPatch = `[{"op": "add", "path": "/subdomain", "value": "train"}, {"op": "replace", "path": "/terminationGracePeriodSeconds", "value": 30}]`
	w.SecretFiles = []runner.SecretFiles{{Secret: "creds", Path: "/etc/creds"}}
	return w
}

// TestPodFeatures: the pod template has the node selector, priority
// class, tolerations, GPUs as limits, pull secrets, a secret volume per
// secret's directory, and the pod patches applied last.
func TestPodFeatures(t *testing.T) {
	tr := newTestRunner(t, "server1")
	w := podSpec("train", 1, 2)
	d, err := tr.deployment(w)
	if err != nil {
		t.Fatal(err)
	}
	pod := d.Spec.Template.Spec
	if !cmp.Equal(pod.NodeSelector, w.NodeSelector) || pod.PriorityClassName != "tusk-high" {
		t.Errorf("node selector %v, priority class %q", pod.NodeSelector, pod.PriorityClassName)
	}
	secs := int64(300)
	want := []corev1.Toleration{{Key: "gpu", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
		{Key: "spot", Operator: corev1.TolerationOpEqual, Value: "true", Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &secs}}
	if diff := cmp.Diff(want, pod.Tolerations); diff != "" {
		t.Errorf("tolerations (-want +got):\n%s", diff)
	}
	if len(pod.ImagePullSecrets) != 1 || pod.ImagePullSecrets[0].Name != "regcred" {
		t.Errorf("image pull secrets %v", pod.ImagePullSecrets)
	}
	c := pod.Containers[0]
	if q := c.Resources.Limits["nvidia.com/gpu"]; q.Cmp(resource.MustParse("2")) != 0 {
		t.Errorf("gpu limit %s, want 2", q.String())
	}
	if q := c.Resources.Limits[corev1.ResourceCPU]; q.Cmp(resource.MustParse("1")) != 0 {
		t.Errorf("cpu limit %s, want the request, 1", q.String())
	}
	var mount *corev1.VolumeMount
	for i, m := range c.VolumeMounts {
		if m.MountPath == "/etc/creds" {
			mount = &c.VolumeMounts[i]
		}
	}
	if mount == nil || !mount.ReadOnly {
		t.Fatalf("mounts %+v, want /etc/creds read-only", c.VolumeMounts)
	}
	var vol *corev1.Volume
	for i, v := range pod.Volumes {
		if v.Name == mount.Name {
			vol = &pod.Volumes[i]
		}
	}
	if vol == nil || vol.Secret == nil || vol.Secret.SecretName != secretFilesName(d.Name, 0) {
		t.Errorf("volume %+v, want Secret %s", vol, secretFilesName(d.Name, 0))
	}
	if pod.Hostname != "trainer" || pod.DNSPolicy != corev1.DNSDefault || pod.Subdomain != "train" ||
		pod.TerminationGracePeriodSeconds == nil || *pod.TerminationGracePeriodSeconds != 30 {
		t.Errorf("patches not applied: hostname %q, dns policy %q, subdomain %q, grace %v",
			pod.Hostname, pod.DNSPolicy, pod.Subdomain, pod.TerminationGracePeriodSeconds)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("a patched pod gets the API token")
	}
	if len(pod.Containers) != 1 || pod.Containers[0].Image != w.Image || len(pod.InitContainers) != 1 {
		t.Errorf("the patches lost the containers: %+v", pod.Containers)
	}
	if hash := d.Annotations[annotationHash]; hash == "" {
		t.Error("no hash")
	} else if other, _ := tr.deployment(spec("train", 1, 2)); other.Annotations[annotationHash] == hash {
		t.Error("the features leave the pod template's hash as it was")
	}
}

// TestPodPatches: a patch may give the pod the service account's token
// only by saying so; a patch that does not apply, or that leaves a field
// a PodSpec does not have, is an error that names pod_spec or pod_patch.
func TestPodPatches(t *testing.T) {
	tr := newTestRunner(t, "server1")
	patched := func(merge, patch string) (corev1.PodSpec, error) {
		w := spec("edges", 1, 1)
		w.PodMergePatch, w.PodJSONPatch = merge, patch
		d, err := tr.deployment(w)
		if err != nil {
			return corev1.PodSpec{}, err
		}
		return d.Spec.Template.Spec, nil
	}
	pod, err := patched(`{"serviceAccountName": "trainer"}`, `[{"op": "remove", "path": "/automountServiceAccountToken"}]`)
	if err != nil {
		t.Fatal(err)
	}
	if pod.ServiceAccountName != "trainer" || pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("service account %q, automount %v: want trainer, without its token", pod.ServiceAccountName, pod.AutomountServiceAccountToken)
	}
	pod, err = patched(`{"automountServiceAccountToken": true}`, "")
	if err != nil {
		t.Fatal(err)
	}
	if pod.AutomountServiceAccountToken == nil || !*pod.AutomountServiceAccountToken {
		t.Error("a pod_spec that asks for the token explicitly does not get it")
	}
	for _, c := range []struct{ merge, patch, want string }{
		{`{"hostNetwrk": true}`, "", `unknown field "hostNetwrk"`},
		{"", `[{"op": "replace", "path": "/nodeName/x", "value": "n"}]`, "pod_patch does not apply"},
		{"", `[{"op": "remove", "path": "/containers/5"}]`, "pod_patch does not apply"},
		{`[1]`, "", "pod_spec"},
	} {
		if _, err := patched(c.merge, c.patch); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("pod_spec %s, pod_patch %s: %v, want an error saying %q", c.merge, c.patch, err, c.want)
		}
	}
	w := spec("edges", 1, 1)
	w.SecretFiles = []runner.SecretFiles{{Secret: "creds", Path: "/tusk-bin"}}
	if err := tr.Check(w); err == nil || !strings.Contains(err.Error(), "/tusk-bin") {
		t.Errorf("a secret over the worker's binary: %v, want an error naming it", err)
	}
}

// TestSecretFiles: Ensure puts the keys of each secret a version's code
// finds as files in a Secret of the version, labelled so that it goes
// with it, and no token of it is revoked; a secret the server does not
// have fails Ensure, naming it.
func TestSecretFiles(t *testing.T) {
	tr := newTestRunner(t, "server1")
	ctx := context.Background()
	w := podSpec("train", 1, 1)
	if err := tr.Ensure(ctx, w); err == nil || !strings.Contains(err.Error(), "mount_path") {
		t.Errorf("Ensure without a source of secrets: %v, want a refusal", err)
	}
	tr.Stop(ctx, "train")
	tr.opts.Secrets = secretMap{"creds": {"token": []byte("not-a-worker-token"), "user": []byte("me")}}
	tr.ensure(t, w)
	name := secretFilesName(objectName("CLUSTER1", "train", 1), 0)
	s, err := tr.cli.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if string(s.Data["token"]) != "not-a-worker-token" || string(s.Data["user"]) != "me" || s.Labels[labelVersion] != "1" {
		t.Errorf("Secret %s: labels %v, data %v", name, s.Labels, s.Data)
	}
	if err := tr.Stop(ctx, "train"); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.cli.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{}); err == nil {
		t.Error("Stop left the secret files' Secret")
	}
	if tr.creds.revoked["not-a-worker-token"] {
		t.Error("Stop revoked a secret's value as if it were a worker token")
	}
	w.SecretFiles[0].Secret = "absent"
	if err := tr.Ensure(ctx, podSpec("train", 2, 1)); err != nil {
		t.Fatal(err)
	}
	w.Version = 3
	if err := tr.Ensure(ctx, w); err == nil || !strings.Contains(err.Error(), "secret absent") {
		t.Errorf("Ensure with a secret the server lacks: %v", err)
	}
	if err := tr.Stop(ctx, "train"); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}
