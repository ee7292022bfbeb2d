package kubetest

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/testenv"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func TestNamespacePrefix(t *testing.T) {
	for test, want := range map[string]string{
		"TestX":                       "testx-",
		"TestDeployment/two_pods":     "testdeployment-two-pods-",
		"Test_":                       "test-",
		"__":                          "test-",
		strings.Repeat("Ab", 30):      strings.Repeat("ab", 20) + "-",
		strings.Repeat("a", 39) + "/": strings.Repeat("a", 39) + "-",
	} {
		if got := namespacePrefix(test); got != want {
			t.Errorf("namespacePrefix(%q) = %q, want %q", test, got, want)
		}
	}
}

// TestAPIServerAnswers checks that the API server runs the pinned release,
// and that the test's kubeconfig reaches it in the test's namespace.
func TestAPIServerAnswers(t *testing.T) {
	cp := Start(t)
	v, err := cp.Client.Discovery().ServerVersion()
	if err != nil {
		t.Fatalf("server version: %v", err)
	}
	if v.GitVersion != Version {
		t.Errorf("server version %q, want %q", v.GitVersion, Version)
	}
	ns, err := cp.Client.CoreV1().Namespaces().Get(t.Context(), cp.Namespace, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get the test's namespace: %v", err)
	}
	if ns.Status.Phase != corev1.NamespaceActive {
		t.Errorf("namespace %s is %s, want Active", ns.Name, ns.Status.Phase)
	}
	out := kubectl(t, cp, "get", "serviceaccounts", "-o", "name")
	if strings.TrimSpace(out) != "serviceaccount/default" {
		t.Errorf("kubectl get serviceaccounts in the kubeconfig's namespace said %q, want serviceaccount/default", out)
	}
}

// TestAPIServerAsPodsReachIt checks that the API server's certificate
// names host.docker.internal, where a test forwards it for Pods.
func TestAPIServerAsPodsReachIt(t *testing.T) {
	cp := Start(t)
	proxy := testenv.StartProxy(t, strings.TrimPrefix(cp.Config.Host, "https://"))
	cfg := rest.CopyConfig(cp.Config)
	cfg.Host = "https://" + proxy.Addr()
	cfg.TLSClientConfig.ServerName = "host.docker.internal"
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Discovery().ServerVersion(); err != nil {
		t.Errorf("the API server through a proxy, as host.docker.internal: %v", err)
	}
}

// TestOwnControlPlane checks that a test of a package that does not share
// a control plane gets one of its own, stopped when the test ends.
func TestOwnControlPlane(t *testing.T) {
	testenv.Require(t, "kube", EnvVar)
	shared.on = false
	t.Cleanup(func() { shared.on = true })
	var cp *ControlPlane
	t.Run("own", func(t *testing.T) {
		cp = Start(t)
		if _, err := cp.Client.Discovery().ServerVersion(); err != nil {
			t.Fatalf("server version: %v", err)
		}
		if len(testenv.Running(cp.Dir)) != 4 {
			t.Errorf("%d processes run with %s in their command line, want 4", len(testenv.Running(cp.Dir)), cp.Dir)
		}
	})
	if cp == nil {
		return
	}
	if _, err := cp.Client.Discovery().ServerVersion(); err == nil {
		t.Error("the API server of a test answers after the test")
	}
	if pids := testenv.Running(cp.Dir); len(pids) != 0 {
		t.Errorf("processes %v of a test's control plane run after the test", pids)
	}
	if _, err := os.Stat(cp.Dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the directory of a test's control plane remains after the test (%v)", err)
	}
}

// TestDeploymentIsScheduled checks that the controller-manager turns a
// Deployment into a ReplicaSet and Pods, and that the scheduler binds them
// to a Node. The Node is only an object: nothing runs the Pods.
func TestDeploymentIsScheduled(t *testing.T) {
	cp := Start(t)
	ctx := t.Context()
	// The Node is tainted and the Pods select it by a label of this
	// test's own, so that no other test's Pods land on it.
	node := fakeNode(t, cp, cp.Namespace)
	labels := map[string]string{"app": "sleeper"}
	deploy := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "sleeper"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					NodeSelector: map[string]string{"tusk-test/node": node},
					Tolerations:  []corev1.Toleration{{Key: "tusk-test/node", Value: node, Effect: corev1.TaintEffectNoSchedule}},
					Containers: []corev1.Container{{
						Name:    "sleep",
						Image:   "tusk-test/busybox:latest",
						Command: []string{"sleep", "3600"},
						Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
							corev1.ResourceCPU:    resource.MustParse("100m"),
							corev1.ResourceMemory: resource.MustParse("64Mi"),
						}},
					}},
				},
			},
		},
	}
	deploy, err := cp.Client.AppsV1().Deployments(cp.Namespace).Create(ctx, deploy, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create deployment: %v", err)
	}
	testenv.Eventually(t, Wait, "the deployment's ReplicaSet exists", func() bool {
		rss, err := cp.Client.AppsV1().ReplicaSets(cp.Namespace).List(ctx, metav1.ListOptions{})
		return err == nil && len(rss.Items) == 1 && metav1.IsControlledBy(&rss.Items[0], deploy)
	})
	var pods []corev1.Pod
	testenv.Eventually(t, Wait, "2 pods of the deployment are bound to node "+node, func() bool {
		list, err := cp.Client.CoreV1().Pods(cp.Namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false
		}
		pods = list.Items
		for _, pod := range pods {
			if pod.Spec.NodeName != node {
				return false
			}
		}
		return len(pods) == 2
	})
	for _, pod := range pods {
		if owner := metav1.GetControllerOf(&pod); owner == nil || owner.Kind != "ReplicaSet" {
			t.Errorf("pod %s is controlled by %v, want its ReplicaSet", pod.Name, owner)
		}
		if pod.Status.Phase != corev1.PodPending {
			t.Errorf("pod %s is %s, want Pending: no agent runs this node's pods", pod.Name, pod.Status.Phase)
		}
	}
}

// fakeNode registers a Node, with capacity but no agent, that only Pods
// tolerating its taint tusk-test/node=name and selecting its label of the
// same name may land on. It is deleted when t ends.
func fakeNode(t *testing.T, cp *ControlPlane, name string) string {
	t.Helper()
	ctx := t.Context()
	nodes := cp.Client.CoreV1().Nodes()
	node, err := nodes.Create(ctx, &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"tusk-test/node": name}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create node: %v", err)
	}
	t.Cleanup(func() {
		if err := nodes.Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
			t.Errorf("delete node %s: %v", name, err)
		}
	})
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("4"),
		corev1.ResourceMemory: resource.MustParse("8Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	node.Status.Capacity, node.Status.Allocatable = capacity, capacity
	node.Status.Conditions = []corev1.NodeCondition{{
		Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "FakeNode",
		LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now(),
	}}
	if node, err = nodes.UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("set node status: %v", err)
	}
	// The API server taints a new Node not-ready until a kubelet says
	// otherwise; this one's only taint keeps other tests' Pods away.
	node.Spec.Taints = []corev1.Taint{{Key: "tusk-test/node", Value: name, Effect: corev1.TaintEffectNoSchedule}}
	if _, err := nodes.Update(ctx, node, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("set node taints: %v", err)
	}
	return name
}

// TestDryRunRefusesMisspeltField checks that kubectl's server-side dry
// run, which checks Tusk's manifests, accepts a Deployment and refuses it
// with a field misspelt, creating nothing either way.
func TestDryRunRefusesMisspeltField(t *testing.T) {
	cp := Start(t)
	const manifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  REPLICAS: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: tusk-test/busybox:latest
`
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.yaml"), filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(good, []byte(strings.Replace(manifest, "REPLICAS", "replicas", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(strings.Replace(manifest, "REPLICAS", "replcias", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := kubectl(t, cp, "apply", "--dry-run=server", "-f", good); !strings.Contains(out, "server dry run") {
		t.Errorf("kubectl apply --dry-run=server of a good manifest said %q", out)
	}
	out, err := exec.Command("kubectl", "--kubeconfig", cp.Kubeconfig, "apply", "--dry-run=server", "-f", bad).CombinedOutput()
	if err == nil {
		t.Errorf("kubectl apply --dry-run=server accepted a misspelt field: %s", out)
	} else if !strings.Contains(string(out), `unknown field "spec.replcias"`) {
		t.Errorf("kubectl apply --dry-run=server refused the misspelt field saying %q, want it named", out)
	}
	list, err := cp.Client.AppsV1().Deployments(cp.Namespace).List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list deployments: %v", err)
	}
	if len(list.Items) != 0 {
		t.Errorf("a dry run created %d deployments", len(list.Items))
	}
}

// kubectl runs kubectl with cp's kubeconfig and returns its output,
// failing t if it fails.
func kubectl(t *testing.T, cp *ControlPlane, args ...string) string {
	t.Helper()
	out, err := exec.Command("kubectl", append([]string{"--kubeconfig", cp.Kubeconfig}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
