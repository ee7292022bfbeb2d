package kube_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tuskdata/tusk/internal/kubetest"
	"github.com/tuskdata/tusk/internal/kubetest/node"
	"github.com/tuskdata/tusk/internal/runner/kube"
	"github.com/tuskdata/tusk/internal/runner/runnertest"
	"github.com/tuskdata/tusk/internal/testenv"
)

// TestConformance runs the runner conformance suite on the kube runner,
// on a real control plane whose node agent runs the pods on the local
// Docker engine: each check in a namespace of its own, its workers
// reaching the suite's server through a forwarder on the node's gateway.
// The runner gives a version's pods one token (its Secret), and the
// suite sees the workers as the cluster's API lists the pods, by their
// labels.
func TestConformance(t *testing.T) {
	testenv.Require(t, "docker", "TUSK_TEST_DOCKER")
	cp := kubetest.Start(t)
	n := node.Start(t, cp.Client)
	untaint(t, cp, n.Name)
	tuskImage, userImage := testImages(t)

	runnertest.Run(t, func(t *testing.T, api runnertest.API) runnertest.Target {
		cp := kubetest.Start(t)
		fwd := newForwarder(t, n.Gateway+":0")
		fwd.toNet("unix", api.Socket)
		kapi, err := kube.NewAPI(cp.Config, cp.Namespace)
		if err != nil {
			t.Fatal(err)
		}
		r, err := kube.New(context.Background(), kube.Options{API: kapi, Namespace: cp.Namespace, Image: tuskImage,
			ServerAddress: "http://" + fwd.addr(), Cluster: "CLUSTER1", Server: "server1", Credentials: api.Credentials,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if t.Failed() {
				logPods(t, cp, n)
			}
		})
		pods := &podView{cp: cp}
		return runnertest.Target{
			Runner:     r,
			Image:      userImage,
			Workers:    pods.workers,
			Kill:       pods.kill,
			PerVersion: &runnertest.PerVersion{Version: pods.version},
		}
	})
}

// podView is the suite's view of the runner's workers: the pods the
// cluster's API lists in the test's namespace.
type podView struct {
	cp *kubetest.ControlPlane

	mu       sync.Mutex
	names    map[string]string    // pod UID → name
	versions map[string][2]string // pod name → its pipeline and version labels
}

// workers returns the worker pods by name (the worker ID), with their
// UIDs.
func (v *podView) workers(t *testing.T) map[string]string {
	t.Helper()
	list, err := v.cp.Client.CoreV1().Pods(v.cp.Namespace).List(context.Background(),
		metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=tusk"})
	if err != nil {
		t.Fatalf("list the worker pods: %v", err)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.names, v.versions = map[string]string{}, map[string][2]string{}
	out := map[string]string{}
	for _, p := range list.Items {
		out[p.Name] = string(p.UID)
		v.names[string(p.UID)] = p.Name
		v.versions[p.Name] = [2]string{p.Labels["tusk.dev/pipeline"], p.Labels["tusk.dev/version"]}
	}
	return out
}

// version returns the pipeline and version labels of a pod that workers
// listed.
func (v *podView) version(name string) (string, int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	l := v.versions[name]
	n, _ := strconv.Atoi(l[1])
	return l[0], n
}

// kill deletes a pod at once, as its node's death would.
func (v *podView) kill(t *testing.T, uid string) {
	v.mu.Lock()
	name := v.names[uid]
	v.mu.Unlock()
	now := int64(0)
	if err := v.cp.Client.CoreV1().Pods(v.cp.Namespace).Delete(context.Background(), name, metav1.DeleteOptions{GracePeriodSeconds: &now}); err != nil {
		t.Fatalf("delete worker pod %s: %v", name, err)
	}
}
