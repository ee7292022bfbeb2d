package kube

import (
	"context"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/tuskdata/tusk/internal/kubetest"
	"github.com/tuskdata/tusk/internal/runner"
	"github.com/tuskdata/tusk/internal/testenv"
)

// The tests of this package that need a control plane share one.
func TestMain(m *testing.M) { os.Exit(kubetest.Main(m)) }

// planeRunner is a runner on a real control plane, in the test's
// namespace.
func planeRunner(t *testing.T, cp *kubetest.ControlPlane, c runner.Credentials) *Runner {
	t.Helper()
	api, err := NewAPI(cp.Config, cp.Namespace)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(context.Background(), Options{API: api, Namespace: cp.Namespace, Image: "ghcr.io/tuskdata/tusk:0.1.0",
		ServerAddress: "https://tusk.tusk.svc:1650", ServerCA: "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
		ServiceAccount: "default", Cluster: "CLUSTER1", Server: "server1", Credentials: c,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestManifestsDryRun: the API server accepts every object the runner
// makes, for specs that use every field a WorkerSpec has, in a
// server-side dry run; and it refuses a broken one, so that the check
// means something.
func TestManifestsDryRun(t *testing.T) {
	cp := kubetest.Start(t)
	r := planeRunner(t, cp, nil)
	ctx := context.Background()
	dry := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	for _, w := range []runner.WorkerSpec{
		{Pipeline: "edges", Version: 1, Workers: 1, Image: "busybox"},
		{Pipeline: "Edges_Detect-2", Version: 12, Workers: 4, Image: "registry.example:5000/team/edges@sha256:" + strings.Repeat("a", 64),
			User: "1000:2000", Requests: runner.Resources{CPU: 0.25, Memory: 100 << 20}, Limits: runner.Resources{CPU: 1.5, Memory: 1 << 30, Pids: 100}},
		{Pipeline: strings.Repeat("p", 63), Version: 3, Workers: 0, Image: "busybox:1.37", User: "nobody"},
		podSpec("train", 1, 2),
	} {
		d, err := r.deployment(w)
		if err != nil {
			t.Fatalf("%s: %v", w.Pipeline, err)
		}
		if _, err := cp.Client.CoreV1().Secrets(cp.Namespace).Create(ctx, r.secret(w, "token"), dry); err != nil {
			t.Errorf("%s: the API server refuses the Secret: %v", w.Pipeline, err)
		}
		for i := range w.SecretFiles {
			files := r.secretFiles(w, i, map[string][]byte{"password": []byte("x"), "ca.pem": []byte("y")})
			if _, err := cp.Client.CoreV1().Secrets(cp.Namespace).Create(ctx, files, dry); err != nil {
				t.Errorf("%s: the API server refuses the Secret of secret files %d: %v", w.Pipeline, i, err)
			}
		}
		if _, err := cp.Client.AppsV1().Deployments(cp.Namespace).Create(ctx, d, dry); err != nil {
			t.Errorf("%s: the API server refuses the Deployment: %v", w.Pipeline, err)
		}
	}
	for _, s := range []runner.Service{{Port: 8080, HostPort: 30080}, {Port: 80, HostPort: 8080, Type: "ClusterIP", HostIP: "192.0.2.10"}} {
		w := runner.WorkerSpec{Pipeline: "web", Version: 1, Workers: 1, Image: "busybox", Service: &s}
		d, err := r.deployment(w)
		if err != nil {
			t.Fatal(err)
		}
		d.UID = "5f0c2a1e-7d3b-4c55-9a8e-1b2c3d4e5f60" // as if made
		if _, err := cp.Client.CoreV1().Services(cp.Namespace).Create(ctx, r.service(w, d), dry); err != nil {
			t.Errorf("the API server refuses the %s Service: %v", s.Type, err)
		}
	}
	d, err := r.deployment(runner.WorkerSpec{Pipeline: "edges", Version: 1, Workers: 1, Image: "busybox"})
	if err != nil {
		t.Fatal(err)
	}
	d.Spec.Template.Spec.Containers[0].VolumeMounts[0].Name = "no-such-volume"
	if _, err := cp.Client.AppsV1().Deployments(cp.Namespace).Create(ctx, d, dry); err == nil {
		t.Error("the API server accepted a Deployment that mounts a volume it does not have")
	}
	if list, err := cp.Client.AppsV1().Deployments(cp.Namespace).List(ctx, metav1.ListOptions{}); err != nil || len(list.Items) > 0 {
		t.Errorf("the dry run left Deployments %v (%v)", list, err)
	}
}

// TestPlaneEnsureAndStop: on a real control plane (no node: its pods stay
// pending), the controller manager makes the Deployment's pods; scaling
// down, a new version and Stop each return once the pods that go are
// gone, which the garbage collector sees to under foreground deletion.
func TestPlaneEnsureAndStop(t *testing.T) {
	cp := kubetest.Start(t)
	c := newCreds()
	r := planeRunner(t, cp, c)
	ctx := context.Background()
	pods := func(p string, v int) int {
		sel := labels.SelectorFromSet(r.versionLabels(p, v))
		list, err := cp.Client.CoreV1().Pods(cp.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
		if err != nil {
			t.Fatal(err)
		}
		return len(list.Items)
	}
	ensure := func(v, n int) {
		t.Helper()
		if err := r.Ensure(ctx, spec("edges", v, n)); err != nil {
			t.Fatalf("Ensure %d workers of version %d: %v", n, v, err)
		}
	}
	ensure(1, 3)
	testenv.Eventually(t, time.Minute, "the Deployment's 3 pods exist", func() bool { return pods("edges", 1) == 3 })
	ensure(1, 1)
	if n := pods("edges", 1); n > 1 {
		t.Errorf("after scaling down to 1: %d pods", n)
	}
	ensure(2, 2)
	if n := pods("edges", 1); n > 0 {
		t.Errorf("after Ensure of version 2: %d pods of version 1", n)
	}
	if _, err := cp.Client.AppsV1().Deployments(cp.Namespace).Get(ctx, objectName("CLUSTER1", "edges", 1), metav1.GetOptions{}); err == nil {
		t.Error("version 1's Deployment is left")
	}
	testenv.Eventually(t, time.Minute, "version 2's 2 pods exist", func() bool { return pods("edges", 2) == 2 })
	if err := r.Stop(ctx, "edges"); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if n := pods("edges", 2); n > 0 {
		t.Errorf("after Stop: %d pods", n)
	}
	var deps appsv1.DeploymentList
	if list, err := cp.Client.AppsV1().Deployments(cp.Namespace).List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	} else {
		deps = *list
	}
	if len(deps.Items) > 0 {
		t.Errorf("after Stop: Deployments %v", deps.Items)
	}
	if live := c.live(); len(live) > 0 {
		t.Errorf("after Stop: tokens %v not revoked", live)
	}
}

// TestPlaneScaleToZero: an idle pipeline's version (Ensure of no
// workers) keeps its Deployment, at zero replicas once its pods are gone,
// and its Secret and token; scaling up again patches the same Deployment
// (its UID stays) and issues no token.
func TestPlaneScaleToZero(t *testing.T) {
	cp := kubetest.Start(t)
	c := newCreds()
	r := planeRunner(t, cp, c)
	ctx := context.Background()
	name := objectName("CLUSTER1", "edges", 1)
	sel := labels.SelectorFromSet(r.versionLabels("edges", 1)).String()
	pods := func() int {
		list, err := cp.Client.CoreV1().Pods(cp.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
		if err != nil {
			t.Fatal(err)
		}
		return len(list.Items)
	}
	deployment := func() *appsv1.Deployment {
		d, err := cp.Client.AppsV1().Deployments(cp.Namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("the version's Deployment: %v", err)
		}
		return d
	}
	ensure := func(n int) {
		t.Helper()
		if err := r.Ensure(ctx, spec("edges", 1, n)); err != nil {
			t.Fatalf("Ensure %d workers: %v", n, err)
		}
	}
	ensure(2)
	testenv.Eventually(t, time.Minute, "the Deployment's 2 pods exist", func() bool { return pods() == 2 })
	uid := deployment().UID
	live := c.live()

	ensure(0)
	if n := pods(); n > 0 {
		t.Errorf("after scaling to zero: %d pods", n)
	}
	d := deployment()
	if d.UID != uid || *d.Spec.Replicas != 0 {
		t.Errorf("after scaling to zero: Deployment %s with %d replicas, want %s with 0", d.UID, *d.Spec.Replicas, uid)
	}
	if _, err := cp.Client.CoreV1().Secrets(cp.Namespace).Get(ctx, name, metav1.GetOptions{}); err != nil {
		t.Errorf("after scaling to zero: the version's Secret: %v", err)
	}
	if got := c.live(); !slices.Equal(got, live) || len(live) != 1 {
		t.Errorf("after scaling to zero: live tokens %v, want the version's %v", got, live)
	}

	ensure(2)
	testenv.Eventually(t, time.Minute, "the Deployment's 2 pods exist again", func() bool { return pods() == 2 })
	if d := deployment(); d.UID != uid || *d.Spec.Replicas != 2 {
		t.Errorf("after scaling up again: Deployment %s with %d replicas, want %s with 2", d.UID, *d.Spec.Replicas, uid)
	}
	if got := c.live(); !slices.Equal(got, live) || len(c.issued) != 1 {
		t.Errorf("after scaling up again: live tokens %v of %d issued, want the version's %v only", got, len(c.issued), live)
	}
}
