package kube

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/tuskdata/tusk/internal/runner"
	"github.com/tuskdata/tusk/internal/tusk"
)

func TestObjectName(t *testing.T) {
	for _, p := range []string{"edges", "Edges_Detect", "a-very-long-pipeline-name-that-goes-on-and-on-for-ever-and-ever-x", "_x_", "0"} {
		name := objectName("CLUSTER1", p, 12)
		if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
			t.Errorf("name of %q: %q: %v", p, name, errs)
		}
		// A pod's name adds a ReplicaSet hash and a suffix: -0123456789-abcde.
		if len(name)+17 > 63 {
			t.Errorf("name of %q: %q leaves no room for pods' names", p, name)
		}
	}
	if objectName("CLUSTER1", "Edges", 1) == objectName("CLUSTER1", "edges", 1) {
		t.Error("pipelines Edges and edges share a name")
	}
	if objectName("CLUSTER1", "edges", 1) == objectName("CLUSTER2", "edges", 1) {
		t.Error("two clusters' pipelines share a name")
	}
}

func TestLabelValue(t *testing.T) {
	for _, s := range []string{"edges", "Edges_Detect", "_x_", strings.Repeat("a", 64), "a.b"} {
		v := labelValue(s)
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			t.Errorf("labelValue(%q) = %q: %v", s, v, errs)
		}
	}
	if got := labelValue("Edges_Detect"); got != "Edges_Detect" {
		t.Errorf("labelValue of a valid value changed it to %q", got)
	}
}

func TestPodTemplate(t *testing.T) {
	tr := newTestRunner(t, "server1")
	tr.opts.ServerCA = "-----BEGIN CERTIFICATE-----\n…\n"
	tr.opts.ServiceAccount = "tusk-worker"
	w := runner.WorkerSpec{Pipeline: "edges", Version: 2, Workers: 3, Image: "registry.example/edges:1.0", User: "1000:2000",
		Requests: runner.Resources{CPU: 0.5, Memory: 64 << 20}, Limits: runner.Resources{CPU: 2}}
	d, err := tr.deployment(w)
	if err != nil {
		t.Fatal(err)
	}
	name := objectName("CLUSTER1", "edges", 2)
	if d.Name != name || d.Namespace != ns || *d.Spec.Replicas != 3 {
		t.Errorf("Deployment %s/%s with %d replicas, want %s/%s with 3", d.Namespace, d.Name, *d.Spec.Replicas, ns, name)
	}
	for _, l := range []map[string]string{d.Labels, d.Spec.Template.Labels} {
		if l[labelCluster] != "CLUSTER1" || l[labelServer] != "server1" || l[labelPipeline] != "edges" || l[labelVersion] != "2" || l[labelManagedBy] != "tusk" {
			t.Errorf("labels %v", l)
		}
	}
	for k, v := range d.Spec.Selector.MatchLabels {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("the selector's %s=%s does not select the pods", k, v)
		}
	}
	if _, ok := d.Spec.Selector.MatchLabels[labelServer]; ok {
		t.Error("the selector, which cannot change, holds the server, which changes with the leader")
	}
	pod := d.Spec.Template.Spec
	if len(pod.InitContainers) != 1 || len(pod.Containers) != 1 {
		t.Fatalf("%d init containers and %d containers, want 1 and 1", len(pod.InitContainers), len(pod.Containers))
	}
	ic, c := pod.InitContainers[0], pod.Containers[0]
	if ic.Image != "tuskdata/tusk:0.1.0" || !slices.Equal(ic.Command, []string{"/tusk", "install-binary", binDir}) ||
		ic.ImagePullPolicy != corev1.PullIfNotPresent || len(ic.VolumeMounts) != 1 || ic.VolumeMounts[0].MountPath != binDir {
		t.Errorf("init container %+v", ic)
	}
	if c.Image != w.Image || !slices.Equal(c.Command, []string{"/tusk-bin/tusk"}) || c.ImagePullPolicy != corev1.PullIfNotPresent {
		t.Errorf("worker container image %s command %v policy %s", c.Image, c.Command, c.ImagePullPolicy)
	}
	wantArgs := []string{"worker", "--pipeline", "edges", "--id", "$(TUSK_POD_NAME)", "--address", "http://tusk.tusk-test.svc:8080", "--root", "/pfs", "--user-applied"}
	if !slices.Equal(c.Args, wantArgs) {
		t.Errorf("args %q, want %q", c.Args, wantArgs)
	}
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	if f := env[podNameEnv].ValueFrom; f == nil || f.FieldRef == nil || f.FieldRef.FieldPath != "metadata.name" {
		t.Errorf("$%s is %+v, want the pod's name", podNameEnv, env[podNameEnv])
	}
	if f := env[tusk.WorkerTokenEnv].ValueFrom; f == nil || f.SecretKeyRef == nil || f.SecretKeyRef.Name != name || f.SecretKeyRef.Key != tokenKey {
		t.Errorf("$%s is %+v, want the version's Secret's token", tusk.WorkerTokenEnv, env[tusk.WorkerTokenEnv])
	}
	if got := env["TUSK_SERVER_CA"].Value; got != caDir+"/"+caKey {
		t.Errorf("$TUSK_SERVER_CA is %q", got)
	}
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	if mounts[binVolume] != binDir || mounts[pfsVolume] != pfsPath || mounts[caVolume] != caDir {
		t.Errorf("mounts %v", mounts)
	}
	if q := c.Resources.Requests[corev1.ResourceCPU]; q.Cmp(resource.MustParse("500m")) != 0 {
		t.Errorf("cpu request %s, want 500m", q.String())
	}
	if q := c.Resources.Requests[corev1.ResourceMemory]; q.Cmp(resource.MustParse("64Mi")) != 0 {
		t.Errorf("memory request %s, want 64Mi", q.String())
	}
	if q := c.Resources.Limits[corev1.ResourceCPU]; q.Cmp(resource.MustParse("2")) != 0 {
		t.Errorf("cpu limit %s, want 2", q.String())
	}
	if q := c.Resources.Limits[corev1.ResourceMemory]; q.Cmp(resource.MustParse("64Mi")) != 0 {
		t.Errorf("memory limit %s, want the request, 64Mi", q.String())
	}
	sc := c.SecurityContext
	if sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != 1000 || sc.RunAsGroup == nil || *sc.RunAsGroup != 2000 ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.Privileged != nil {
		t.Errorf("security context %+v", sc)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("workers get a token of the cluster's API")
	}
	if pod.ServiceAccountName != "tusk-worker" {
		t.Errorf("service account %q, want tusk-worker", pod.ServiceAccountName)
	}
	if pod.RestartPolicy != corev1.RestartPolicyAlways {
		t.Errorf("restart policy %s", pod.RestartPolicy)
	}
	if d.Annotations[annotationHash] == "" || d.Spec.Template.Annotations[annotationHash] != d.Annotations[annotationHash] {
		t.Errorf("hash annotations %v and %v", d.Annotations, d.Spec.Template.Annotations)
	}
	s := tr.secret(w, "tok")
	if s.Name != name || string(s.Data[tokenKey]) != "tok" || string(s.Data[caKey]) != tr.opts.ServerCA {
		t.Errorf("Secret %s holds %v", s.Name, s.Data)
	}
}

func TestPodTemplateHash(t *testing.T) {
	tr := newTestRunner(t, "server1")
	hash := func(w runner.WorkerSpec) string {
		d, err := tr.deployment(w)
		if err != nil {
			t.Fatal(err)
		}
		return d.Annotations[annotationHash]
	}
	w := spec("edges", 1, 2)
	base := hash(w)
	if hash(spec("edges", 1, 5)) != base {
		t.Error("the worker count changes the pod template's hash, so scaling would replace pods")
	}
	w.Limits.Memory = 1 << 30
	if hash(w) == base {
		t.Error("a memory limit leaves the hash as it was")
	}
}

func TestUserAndPullPolicy(t *testing.T) {
	tr := newTestRunner(t, "server1")
	for _, c := range []struct {
		user, image string
		uid         int64 // -1: none
		applied     bool
		policy      corev1.PullPolicy
	}{
		{"", "busybox", -1, false, corev1.PullAlways},
		{"nobody", "busybox:latest", -1, false, corev1.PullAlways},
		{"1000", "busybox@sha256:" + strings.Repeat("a", 64), 1000, true, corev1.PullIfNotPresent},
	} {
		w := spec("edges", 1, 1)
		w.User, w.Image = c.user, c.image
		d, err := tr.deployment(w)
		if err != nil {
			t.Fatalf("user %q: %v", c.user, err)
		}
		ct := d.Spec.Template.Spec.Containers[0]
		uid := int64(-1)
		if ct.SecurityContext.RunAsUser != nil {
			uid = *ct.SecurityContext.RunAsUser
		}
		if uid != c.uid || slices.Contains(ct.Args, "--user-applied") != c.applied || ct.ImagePullPolicy != c.policy {
			t.Errorf("user %q image %s: uid %d, args %v, policy %s; want uid %d, applied %v, policy %s",
				c.user, c.image, uid, ct.Args, ct.ImagePullPolicy, c.uid, c.applied, c.policy)
		}
	}
	w := spec("edges", 1, 1)
	w.User = "1000:staff"
	if _, err := tr.deployment(w); err == nil {
		t.Error("user 1000:staff accepted, which a pod cannot run as")
	}
	w = spec("edges", 1, 1)
	w.Requests.CPU, w.Limits.CPU = 2, 1
	if _, err := tr.deployment(w); err == nil || !strings.Contains(err.Error(), "resource_requests.cpu") {
		t.Errorf("a cpu request above the limit: %v, want an error naming it", err)
	}
}
