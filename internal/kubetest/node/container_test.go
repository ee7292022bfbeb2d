package node

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
)

func TestExpand(t *testing.T) {
	vars := map[string]string{"A": "a", "EMPTY": ""}
	for in, want := range map[string]string{
		"$(A)/x":        "a/x",
		"$(B)":          "$(B)",
		"$$(A)":         "$(A)",
		"x$(EMPTY)y":    "xy",
		"$(A":           "$(A",
		"cost: 5$":      "cost: 5$",
		"$A $(A)$(A)":   "$A aa",
		"a $$ b $$$(A)": "a $ b $a",
	} {
		if got := expand(in, vars); got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBackoff(t *testing.T) {
	got := []string{backoff(0).String(), backoff(1).String(), backoff(2).String(), backoff(6).String(), backoff(100).String()}
	want := []string{"0s", "1s", "2s", "30s", "30s"}
	if !slices.Equal(got, want) {
		t.Errorf("backoff = %v, want %v", got, want)
	}
}

// TestCreateConfig checks the engine's configuration of a container that
// uses every mapping the agent makes.
func TestCreateConfig(t *testing.T) {
	client := fake.NewClientset(
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "creds", Namespace: "ns"}, Data: map[string][]byte{"password": []byte("hunter2")}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: "ns"}, Data: map[string]string{"mode": "fast", "level": "3"}},
	)
	uid, gid, podUID := int64(1000), int64(2000), int64(7)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", UID: "u-1", Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{NodeName: "n1", SecurityContext: &corev1.PodSecurityContext{RunAsUser: &podUID, RunAsGroup: &gid}},
	}
	c := &corev1.Container{
		Name: "main", Image: "img:1", WorkingDir: "/work",
		Command: []string{"/bin/run", "--name=$(POD)"},
		Args:    []string{"$(MODE)", "$$(MODE)", "$(UNKNOWN)"},
		EnvFrom: []corev1.EnvFromSource{{Prefix: "CFG_", ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}}}},
		Env: []corev1.EnvVar{
			{Name: "POD", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
			{Name: "NS", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
			{Name: "IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}},
			{Name: "NODE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}},
			{Name: "APP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels['app']"}}},
			{Name: "PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}, Key: "password"}}},
			{Name: "MODE", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}, Key: "mode"}}},
			{Name: "GREETING", Value: "hello $(POD) in $(NS)"},
			{Name: "OPTIONAL", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "absent"}, Key: "k", Optional: new(true)}}},
		},
		VolumeMounts:    []corev1.VolumeMount{{Name: "data", MountPath: "/data"}, {Name: "conf", MountPath: "/etc/conf", ReadOnly: true, SubPath: "sub"}},
		SecurityContext: &corev1.SecurityContext{RunAsUser: &uid},
		Resources: corev1.ResourceRequirements{
			Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")},
		},
	}
	p := &podContext{client: client, pod: pod, hostIP: "172.30.0.1", podIP: "172.30.0.2", sandbox: "sb",
		serviceEnv: []string{"KUBERNETES_SERVICE_HOST=host.docker.internal", "KUBERNETES_SERVICE_PORT=6443"},
		volumes:    map[string]string{"data": "/v/data", "conf": "/v/conf"}}
	got, err := p.createConfig(context.Background(), c, map[string]string{"l": "1"})
	if err != nil {
		t.Fatal(err)
	}
	want := &createConfig{
		Image: "img:1", Labels: map[string]string{"l": "1"}, WorkingDir: "/work", User: "1000:2000",
		Env: []string{
			"KUBERNETES_SERVICE_HOST=host.docker.internal", "KUBERNETES_SERVICE_PORT=6443",
			"CFG_level=3", "CFG_mode=fast",
			"POD=p", "NS=ns", "IP=172.30.0.2", "NODE=n1", "APP=web",
			"PASSWORD=hunter2", "MODE=fast", "GREETING=hello p in ns",
		},
		Entrypoint: []string{"/bin/run", "--name=p"}, Cmd: []string{"fast", "$(MODE)", "$(UNKNOWN)"},
		HostConfig: hostConfig{
			NetworkMode: "container:sb",
			Mounts:      []mount{{Type: "bind", Source: "/v/data", Target: "/data"}, {Type: "bind", Source: "/v/conf/sub", Target: "/etc/conf", ReadOnly: true}},
			NanoCPUs:    500_000_000, Memory: 67108864, CPUShares: 256,
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("createConfig (-want +got):\n%s", diff)
	}
}

// TestCommandMapping checks how command and args override the image's
// entrypoint and cmd: the engine keeps the image's entrypoint when the
// request has none (omitted), and its cmd only when the request has
// neither.
func TestCommandMapping(t *testing.T) {
	p := &podContext{client: fake.NewClientset(), pod: &corev1.Pod{}, sandbox: "sb"}
	for _, tc := range []struct {
		command, args []string
		want          string
	}{
		{nil, nil, `{"Image":"img"`},
		{nil, []string{"a", "b"}, `{"Image":"img","Cmd":["a","b"]`},
		{[]string{"sh"}, nil, `{"Image":"img","Entrypoint":["sh"]`},
		{[]string{"sh", "-c"}, []string{"echo hi"}, `{"Image":"img","Entrypoint":["sh","-c"],"Cmd":["echo hi"]`},
	} {
		cfg, err := p.createConfig(context.Background(), &corev1.Container{Image: "img", Command: tc.command, Args: tc.args}, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(b); !strings.HasPrefix(got, tc.want+`,"Labels"`) {
			t.Errorf("command %q args %q: %s, want it to start %s", tc.command, tc.args, got, tc.want)
		}
	}
}

// TestEnvErrors checks that a missing secret, a missing key and an
// unknown field path fail the container's creation, as they hold a
// kubelet's container in CreateContainerConfigError.
func TestEnvErrors(t *testing.T) {
	client := fake.NewClientset(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "creds", Namespace: "ns"}})
	p := &podContext{client: client, pod: &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns"}}, sandbox: "sb"}
	for name, from := range map[string]*corev1.EnvVarSource{
		"missing secret": {SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "absent"}, Key: "k"}},
		"missing key":    {SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}, Key: "k"}},
		"unknown field":  {FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.hostname"}},
	} {
		c := &corev1.Container{Name: "c", Image: "img", Env: []corev1.EnvVar{{Name: "X", ValueFrom: from}}}
		if _, err := p.createConfig(context.Background(), c, nil); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestPrepareVolumes checks the files of each kind of volume, and that a
// projected volume goes on without a source it cannot get.
func TestPrepareVolumes(t *testing.T) {
	client := fake.NewClientset(
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "creds", Namespace: "ns"}, Data: map[string][]byte{"user": []byte("u"), "password": []byte("p")}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: "ns"}, Data: map[string]string{"mode": "fast"}},
	)
	host := t.TempDir() + "/host"
	dirOrCreate := corev1.HostPathDirectoryOrCreate
	ref := func(name string) corev1.LocalObjectReference { return corev1.LocalObjectReference{Name: name} }
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}, Spec: corev1.PodSpec{Volumes: []corev1.Volume{
		{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: host, Type: &dirOrCreate}}},
		{Name: "secret", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "creds", Items: []corev1.KeyToPath{{Key: "password", Path: "pw/file"}}}}},
		{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: ref("settings")}}},
		{Name: "projected", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
			{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: ref("kube-root-ca.crt")}},
			{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "namespace", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}}}},
		}}}},
	}}}
	p := &podContext{client: client, pod: pod}
	dir := t.TempDir()
	if err := p.prepareVolumes(context.Background(), dir, slog.Default()); err != nil {
		t.Fatal(err)
	}
	if p.volumes["host"] != host {
		t.Errorf("hostPath at %s", p.volumes["host"])
	}
	if fi, err := os.Stat(host); err != nil || !fi.IsDir() {
		t.Errorf("hostPath DirectoryOrCreate not made: %v", err)
	}
	if fi, err := os.Stat(p.volumes["scratch"]); err != nil || fi.Mode().Perm() != 0o777 {
		t.Errorf("emptyDir: %v, %v", fi, err)
	}
	for path, want := range map[string]string{
		"secret/pw/file": "p", "config/mode": "fast", "projected/namespace": "ns",
	} {
		if got, err := os.ReadFile(filepath.Join(dir, "volumes", path)); err != nil || string(got) != want {
			t.Errorf("%s: %q, %v; want %q", path, got, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "volumes/secret/user")); err == nil {
		t.Error("a secret key its items leave out is written")
	}

	pod.Spec.Volumes = []corev1.Volume{{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "absent"}}}}
	if err := p.prepareVolumes(context.Background(), dir, slog.Default()); err == nil {
		t.Error("a missing secret volume is no error")
	}
}

func TestAPIServerOf(t *testing.T) {
	if got := apiServerOf(fake.NewClientset()); got != "" {
		t.Errorf("the fake clientset's API server is %q", got)
	}
	for host, want := range map[string]string{
		"https://127.0.0.1:6443": "127.0.0.1:6443",
		"https://example.com":    "example.com:443",
		"http://[::1]":           "[::1]:80",
	} {
		client, err := kubernetes.NewForConfig(&rest.Config{Host: host})
		if err != nil {
			t.Fatal(err)
		}
		if got := apiServerOf(client); got != want {
			t.Errorf("apiServerOf(%s) = %q, want %q", host, got, want)
		}
	}
}

// TestKubeletID: an image's imageID is the digest of the container's
// repository where the image has one, among several; else the first;
// else its ID in the engine.
func TestKubeletID(t *testing.T) {
	im := dockerImage{ID: "sha256:aaa", RepoDigests: []string{"busybox@sha256:bbb", "127.0.0.1:5000/x/busybox@sha256:ccc"}}
	for ref, want := range map[string]string{
		"127.0.0.1:5000/x/busybox:v1":            "docker-pullable://127.0.0.1:5000/x/busybox@sha256:ccc",
		"127.0.0.1:5000/x/busybox@sha256:ccc":    "docker-pullable://127.0.0.1:5000/x/busybox@sha256:ccc",
		"127.0.0.1:5000/x/busybox:v1@sha256:ccc": "docker-pullable://127.0.0.1:5000/x/busybox@sha256:ccc",
		"busybox":                                "docker-pullable://busybox@sha256:bbb",
		"other:latest":                           "docker-pullable://busybox@sha256:bbb",
	} {
		if got := im.kubeletID(ref); got != want {
			t.Errorf("kubeletID(%q) = %q, want %q", ref, got, want)
		}
	}
	if got := (dockerImage{ID: "sha256:aaa"}).kubeletID("local:v1"); got != "docker://sha256:aaa" {
		t.Errorf("an image with no registry digest: %q, want docker://sha256:aaa", got)
	}
}
