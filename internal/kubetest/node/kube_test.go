package node

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/tuskdata/tusk/internal/kubetest"
	"github.com/tuskdata/tusk/internal/testenv"
)

// The tests in this file run on a real control plane (kubetest), one for
// the package's tests: the scheduler binds the pods to the agent's node,
// the controllers make them from Deployments, and deletion is graceful.

func TestMain(m *testing.M) { os.Exit(kubetest.Main(m)) }

func startKube(t *testing.T) (*Node, *kubetest.ControlPlane) {
	t.Helper()
	testenv.Require(t, "docker", "TUSK_TEST_DOCKER")
	cp := kubetest.Start(t)
	return Start(t, cp.Client), cp
}

// TestKubePod runs a pod the scheduler binds to the node: its init
// container writes a file into an emptyDir that the app container reads,
// beside its name from the downward API and its namespace from the
// service account volume that admission added, and reaches the API
// server where KUBERNETES_SERVICE_HOST and _PORT say (busybox's TLS
// cannot talk to it: plain HTTP gets Go's TLS server's answer).
func TestKubePod(t *testing.T) {
	n, cp := startKube(t)
	pod := shPod("", "hello", corev1.RestartPolicyNever, `cat /data/greeting; echo "pod=$POD"
		cat /var/run/secrets/kubernetes.io/serviceaccount/namespace; echo
		printf 'GET / HTTP/1.0\r\n\r\n' | nc $KUBERNETES_SERVICE_HOST $KUBERNETES_SERVICE_PORT`)
	pod.Namespace, pod.UID = cp.Namespace, ""
	app := &pod.Spec.Containers[0]
	app.Env = []corev1.EnvVar{{Name: "POD", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}}
	app.VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}
	pod.Spec.InitContainers = []corev1.Container{{Name: "init", Image: image, ImagePullPolicy: corev1.PullIfNotPresent,
		Command: []string{"sh", "-c", "echo hello > /data/greeting"}, VolumeMounts: app.VolumeMounts}}
	pod.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	create(t, cp.Client, pod)

	got := waitPod(t, cp.Client, pod, "ended", ended)
	if got.Status.Phase != corev1.PodSucceeded {
		t.Errorf("phase %s, logs %q", got.Status.Phase, logs(t, n, pod, "main"))
	}
	if got.Spec.NodeName != n.Name {
		t.Errorf("pod on node %q, want %q", got.Spec.NodeName, n.Name)
	}
	for _, c := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodInitialized} {
		if s := condition(got, c); s != corev1.ConditionTrue {
			t.Errorf("%s is %q", c, s)
		}
	}
	if term := got.Status.ContainerStatuses[0].State.Terminated; term == nil || term.Reason != "Completed" {
		t.Errorf("app container %+v", got.Status.ContainerStatuses[0].State)
	}
	out := logs(t, n, pod, "main")
	if want := "hello\npod=hello\n" + cp.Namespace + "\n"; !strings.HasPrefix(out, want) {
		t.Errorf("logs %q, want them to begin with %q", out, want)
	}
	if want := "Client sent an HTTP request to an HTTPS server"; !strings.Contains(out, want) {
		t.Errorf("logs %q, want the API server's answer %q", out, want)
	}
}

// TestKubeDeployment runs a Deployment of 2 replicas of a locally built
// image under the pull policy Always; a container killed
// is restarted, and a pod deleted has its containers removed and is
// replaced by the ReplicaSet with one that runs.
func TestKubeDeployment(t *testing.T) {
	n, cp := startKube(t)
	ctx := context.Background()
	labels := map[string]string{"app": "sleeper"}
	replicas := int32(2)
	template := shPod("", "", corev1.RestartPolicyAlways, `trap "exit 0" TERM; sleep 1000 & wait`)
	// The API server makes the pull policy of a :latest image Always,
	// under which a locally built image runs as it is.
	template.Spec.Containers[0].ImagePullPolicy = ""
	deploy := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "sleeper", Namespace: cp.Namespace},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: template.Spec},
		},
	}
	if _, err := cp.Client.AppsV1().Deployments(cp.Namespace).Create(ctx, deploy, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pods := readyPods(t, cp.Client, cp.Namespace, 2, nil)
	if policy := pods[0].Spec.Containers[0].ImagePullPolicy; policy != corev1.PullAlways {
		t.Errorf("pull policy %s, want the default Always", policy)
	}
	for _, p := range pods {
		if p.Spec.NodeName != n.Name || p.Status.PodIP == "" {
			t.Errorf("pod %s on node %q with IP %q", p.Name, p.Spec.NodeName, p.Status.PodIP)
		}
	}
	testenv.Eventually(t, wait, "the Deployment has 2 available replicas", func() bool {
		d, err := cp.Client.AppsV1().Deployments(cp.Namespace).Get(ctx, "sleeper", metav1.GetOptions{})
		return err == nil && d.Status.AvailableReplicas == 2
	})

	killed := pods[0]
	if err := exec.Command("docker", "kill", strings.TrimPrefix(killed.Status.ContainerStatuses[0].ContainerID, "docker://")).Run(); err != nil {
		t.Fatal(err)
	}
	waitPod(t, cp.Client, &killed, "restarted after docker kill", func(p *corev1.Pod) bool {
		cs := p.Status.ContainerStatuses[0]
		return cs.RestartCount == 1 && cs.State.Running != nil
	})

	deleted := pods[1]
	if err := cp.Client.CoreV1().Pods(cp.Namespace).Delete(ctx, deleted.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, wait, "the deleted pod's containers removed", func() bool {
		return len(containers(t, labelPodUID+"="+string(deleted.UID))) == 0
	})
	replaced := readyPods(t, cp.Client, cp.Namespace, 2, func(p corev1.Pod) bool { return p.Name != deleted.Name })
	if !slices.ContainsFunc(replaced, func(p corev1.Pod) bool { return p.Name == killed.Name }) {
		t.Errorf("pods after the deletion %v, want %s beside a new one", names(replaced), killed.Name)
	}
}

// readyPods waits until the namespace has want Ready pods that satisfy
// keep (nil for all), and returns them.
func readyPods(t *testing.T, client kubernetes.Interface, ns string, want int, keep func(corev1.Pod) bool) []corev1.Pod {
	t.Helper()
	var ready []corev1.Pod
	testenv.Eventually(t, wait, "Ready pods", func() bool {
		list, err := client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			return false
		}
		ready = ready[:0]
		for _, p := range list.Items {
			if condition(&p, corev1.PodReady) == corev1.ConditionTrue && (keep == nil || keep(p)) {
				ready = append(ready, p)
			}
		}
		return len(ready) == want && len(list.Items) == want
	})
	return ready
}

func names(pods []corev1.Pod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p.Name)
	}
	return out
}
