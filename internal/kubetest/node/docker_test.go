package node

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/tuskdata/tusk/internal/testenv"
)

// The tests in this file run pods on the local Docker engine with
// client-go's fake clientset as the API: no control plane, no scheduler
// (pods are created bound to the node) and deletion is immediate unless
// the test sets a deletionTimestamp as the API server would.

const (
	image = "tusk-test/busybox:latest"
	wait  = 2 * time.Minute // for things the loaded engine does
)

func startFake(t *testing.T) (*Node, kubernetes.Interface) {
	t.Helper()
	testenv.Require(t, "docker", "TUSK_TEST_DOCKER")
	client := fake.NewClientset()
	return Start(t, client), client
}

// shPod is a pod bound to node whose one container runs script in sh.
func shPod(node, name string, policy corev1.RestartPolicy, script string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID("uid-" + name)},
		Spec: corev1.PodSpec{
			NodeName: node, RestartPolicy: policy,
			Containers: []corev1.Container{{Name: "main", Image: image, ImagePullPolicy: corev1.PullIfNotPresent, Command: []string{"sh", "-c", script}}},
		},
	}
}

func create(t *testing.T, client kubernetes.Interface, pod *corev1.Pod) {
	t.Helper()
	if _, err := client.CoreV1().Pods(pod.Namespace).Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// waitPod waits until the pod satisfies cond, and returns it.
func waitPod(t *testing.T, client kubernetes.Interface, pod *corev1.Pod, what string, cond func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	var got *corev1.Pod
	defer func() { // runs as Eventually's Fatalf ends the test
		if t.Failed() && got != nil {
			t.Logf("pod %s was on node %q: %+v", got.Name, got.Spec.NodeName, got.Status)
		}
	}()
	testenv.Eventually(t, wait, fmt.Sprintf("pod %s: %s", pod.Name, what), func() bool {
		p, err := client.CoreV1().Pods(pod.Namespace).Get(context.Background(), pod.Name, metav1.GetOptions{})
		if err != nil {
			return false
		}
		got = p
		return cond(p)
	})
	return got
}

func phaseIs(phase corev1.PodPhase) func(*corev1.Pod) bool {
	return func(p *corev1.Pod) bool { return p.Status.Phase == phase }
}

func ended(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}

func condition(p *corev1.Pod, t corev1.PodConditionType) corev1.ConditionStatus {
	for _, c := range p.Status.Conditions {
		if c.Type == t {
			return c.Status
		}
	}
	return ""
}

// containers lists the containers of the engine with label (key=value).
func containers(t *testing.T, label string) []string {
	t.Helper()
	out, err := exec.Command("docker", "ps", "-aq", "--filter", "label="+label).Output()
	if err != nil {
		t.Fatalf("docker ps: %v", err)
	}
	return strings.Fields(string(out))
}

func logs(t *testing.T, n *Node, pod *corev1.Pod, container string) string {
	t.Helper()
	out, err := n.Logs(context.Background(), pod.Namespace, pod.Name, container)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestInitEmptyDirEnv runs a pod whose init container writes a file into
// an emptyDir that the app container, as another user, reads beside the
// pod's name and IP from the downward API.
func TestInitEmptyDirEnv(t *testing.T) {
	n, client := startFake(t)
	uid := int64(1000)
	pod := shPod(n.Name, "init", corev1.RestartPolicyNever,
		`cat /data/greeting; echo "pod=$POD ip=$IP node=$NODE uid=$(id -u)"; echo more > /data/app`)
	app := &pod.Spec.Containers[0]
	app.Env = []corev1.EnvVar{
		{Name: "POD", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
		{Name: "IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}},
		{Name: "NODE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}},
	}
	app.VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}
	app.SecurityContext = &corev1.SecurityContext{RunAsUser: &uid}
	pod.Spec.InitContainers = []corev1.Container{
		{Name: "first", Image: image, ImagePullPolicy: corev1.PullNever, Command: []string{"sh", "-c", "echo hello > /data/greeting"},
			VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}},
		{Name: "second", Image: image, ImagePullPolicy: corev1.PullNever, Command: []string{"sh", "-c", "test -f /data/greeting"},
			VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}},
	}
	pod.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	create(t, client, pod)

	got := waitPod(t, client, pod, "Succeeded", phaseIs(corev1.PodSucceeded))
	if got.Status.PodIP == "" || got.Status.StartTime == nil || got.Status.HostIP != n.Gateway {
		t.Errorf("podIP %q, startTime %v, hostIP %q (gateway %q)", got.Status.PodIP, got.Status.StartTime, got.Status.HostIP, n.Gateway)
	}
	if s := condition(got, corev1.PodInitialized); s != corev1.ConditionTrue {
		t.Errorf("Initialized is %q", s)
	}
	// The image, built here, has no registry digest: a kubelet on Docker
	// reports its ID in the engine.
	imageID := "docker://" + dockerOut(t, "image", "inspect", "--format", "{{.Id}}", image)
	for _, cs := range append(got.Status.InitContainerStatuses, got.Status.ContainerStatuses...) {
		if term := cs.State.Terminated; term == nil || term.ExitCode != 0 || term.Reason != "Completed" || !strings.HasPrefix(cs.ContainerID, "docker://") {
			t.Errorf("container %s: state %+v, id %q", cs.Name, cs.State, cs.ContainerID)
		}
		if cs.ImageID != imageID {
			t.Errorf("container %s: imageID %q, want %q", cs.Name, cs.ImageID, imageID)
		}
	}
	want := fmt.Sprintf("hello\npod=init ip=%s node=%s uid=1000\n", got.Status.PodIP, n.Name)
	if out := logs(t, n, pod, "main"); out != want {
		t.Errorf("logs %q, want %q", out, want)
	}
	if ids := containers(t, labelPodUID+"=uid-init"); len(ids) != 3 {
		t.Errorf("%d containers of the ended pod kept, want its 3 (init and app, for their logs)", len(ids))
	}
}

// TestStatusSteps runs a pod of an init container and two app
// containers, and checks that the agent wrote a status with the pod
// Initialized and its app containers not made yet (it writes it as it
// makes them), and that both then run.
func TestStatusSteps(t *testing.T) {
	testenv.Require(t, "docker", "TUSK_TEST_DOCKER")
	client := fake.NewClientset()
	n := Start(t, client)
	pod := shPod(n.Name, "steps", corev1.RestartPolicyAlways, `trap "exit 0" TERM; sleep 1000 & wait`)
	second := pod.Spec.Containers[0]
	second.Name = "second"
	pod.Spec.Containers = append(pod.Spec.Containers, second)
	pod.Spec.InitContainers = []corev1.Container{{Name: "init", Image: image, ImagePullPolicy: corev1.PullNever, Command: []string{"true"}}}
	create(t, client, pod)
	got := waitPod(t, client, pod, "Ready", func(p *corev1.Pod) bool { return condition(p, corev1.PodReady) == corev1.ConditionTrue })
	for _, cs := range got.Status.ContainerStatuses {
		if cs.State.Running == nil || !cs.Ready {
			t.Errorf("container %s: state %+v, ready %v", cs.Name, cs.State, cs.Ready)
		}
	}
	if len(got.Status.ContainerStatuses) != 2 {
		t.Errorf("%d container statuses, want 2", len(got.Status.ContainerStatuses))
	}
	initialized := false
	for _, a := range client.Actions() {
		u, ok := a.(k8stesting.UpdateAction)
		if !ok || u.GetSubresource() != "status" {
			continue
		}
		p, ok := u.GetObject().(*corev1.Pod)
		if !ok || condition(p, corev1.PodInitialized) != corev1.ConditionTrue {
			continue
		}
		waiting := true
		for _, cs := range p.Status.ContainerStatuses {
			waiting = waiting && cs.ContainerID == "" && cs.State.Waiting != nil && cs.State.Waiting.Reason == "ContainerCreating"
		}
		initialized = initialized || waiting
	}
	if !initialized {
		t.Error("no status written with the pod Initialized and its app containers not yet made")
	}
}

// TestFailures checks the phases and reasons of containers that fail.
func TestFailures(t *testing.T) {
	n, client := startFake(t)
	never := shPod(n.Name, "never", corev1.RestartPolicyNever, "echo bye; exit 3")
	// Under OnFailure the first run fails and the second, which finds
	// the first's file in the emptyDir, succeeds.
	onFailure := shPod(n.Name, "onfailure", corev1.RestartPolicyOnFailure, "test -f /data/ran && exit 0; touch /data/ran; exit 1")
	onFailure.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}
	onFailure.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	initFails := shPod(n.Name, "initfails", corev1.RestartPolicyNever, "echo never runs")
	initFails.Spec.InitContainers = []corev1.Container{{Name: "init", Image: image, Command: []string{"false"}}}
	noImage := shPod(n.Name, "noimage", corev1.RestartPolicyNever, "true")
	noImage.Spec.Containers[0].Image = "127.0.0.1:1/absent:1"
	neverPull := shPod(n.Name, "neverpull", corev1.RestartPolicyNever, "true")
	neverPull.Spec.Containers[0].Image = "tusk-test/absent:1"
	neverPull.Spec.Containers[0].ImagePullPolicy = corev1.PullNever
	for _, p := range []*corev1.Pod{never, onFailure, initFails, noImage, neverPull} {
		create(t, client, p)
	}

	got := waitPod(t, client, never, "Failed", phaseIs(corev1.PodFailed))
	if term := got.Status.ContainerStatuses[0].State.Terminated; term == nil || term.ExitCode != 3 || term.Reason != "Error" {
		t.Errorf("never: %+v", got.Status.ContainerStatuses[0].State)
	}
	got = waitPod(t, client, onFailure, "Succeeded", phaseIs(corev1.PodSucceeded))
	if cs := got.Status.ContainerStatuses[0]; cs.RestartCount != 1 || cs.LastTerminationState.Terminated == nil || cs.LastTerminationState.Terminated.ExitCode != 1 {
		t.Errorf("onfailure: restarts %d, last state %+v", cs.RestartCount, cs.LastTerminationState)
	}
	got = waitPod(t, client, initFails, "Failed", phaseIs(corev1.PodFailed))
	if s := condition(got, corev1.PodInitialized); s != corev1.ConditionFalse {
		t.Errorf("initfails: Initialized is %q", s)
	}
	if w := got.Status.ContainerStatuses[0].State.Waiting; w == nil {
		t.Errorf("initfails: the app container is %+v, want waiting", got.Status.ContainerStatuses[0].State)
	}
	for p, reason := range map[*corev1.Pod]string{noImage: "ErrImagePull", neverPull: "ErrImageNeverPull"} {
		got := waitPod(t, client, p, reason, func(p *corev1.Pod) bool {
			cs := p.Status.ContainerStatuses
			return len(cs) == 1 && cs[0].State.Waiting != nil && cs[0].State.Waiting.Reason == reason
		})
		if got.Status.Phase != corev1.PodPending || got.Status.ContainerStatuses[0].State.Waiting.Message == "" {
			t.Errorf("%s: phase %s, waiting %+v", p.Name, got.Status.Phase, got.Status.ContainerStatuses[0].State.Waiting)
		}
	}
}

// TestRestartAndDelete kills a running container, which restarts under
// Always, then deletes the pod gracefully as the API server does: the
// agent stops the containers, removes them and deletes the pod.
func TestRestartAndDelete(t *testing.T) {
	n, client := startFake(t)
	pod := shPod(n.Name, "sleeper", corev1.RestartPolicyAlways, `trap "exit 0" TERM; sleep 1000 & wait`)
	pod.Spec.Containers[0].Resources.Limits = corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("64Mi"),
	}
	create(t, client, pod)
	running := func(p *corev1.Pod) bool { return condition(p, corev1.PodReady) == corev1.ConditionTrue }
	got := waitPod(t, client, pod, "Ready", running)
	if got.Status.Phase != corev1.PodRunning {
		t.Errorf("phase %s", got.Status.Phase)
	}
	id := strings.TrimPrefix(got.Status.ContainerStatuses[0].ContainerID, "docker://")
	out, err := exec.Command("docker", "inspect", "--format", "{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}}", id).Output()
	if err != nil || strings.TrimSpace(string(out)) != "500000000 67108864" {
		t.Errorf("limits: %q, %v", out, err)
	}

	if err := exec.Command("docker", "kill", id).Run(); err != nil {
		t.Fatal(err)
	}
	got = waitPod(t, client, pod, "restarted", func(p *corev1.Pod) bool {
		cs := p.Status.ContainerStatuses[0]
		return cs.RestartCount == 1 && cs.State.Running != nil
	})
	if last := got.Status.ContainerStatuses[0].LastTerminationState.Terminated; last == nil || last.ExitCode != 137 {
		t.Errorf("last state after docker kill: %+v", last)
	}

	// Delete as the API server does: a deletion timestamp, then the agent's
	// delete with grace 0. The fake clientset's UpdateStatus replaces the
	// whole object, so a status the agent writes from its older copy can
	// drop the timestamp (a real API server keeps metadata in status
	// writes): set it again until the agent has seen it.
	deleting := func() {
		p, err := client.CoreV1().Pods(pod.Namespace).Get(context.Background(), pod.Name, metav1.GetOptions{})
		if err != nil || p.DeletionTimestamp != nil {
			return
		}
		p.DeletionTimestamp = &metav1.Time{Time: time.Now()}
		p.DeletionGracePeriodSeconds = new(int64(30))
		if _, err := client.CoreV1().Pods(pod.Namespace).Update(context.Background(), p, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
	}
	testenv.Eventually(t, wait, "the deleted pod gone from the API", func() bool {
		deleting()
		_, err := client.CoreV1().Pods(pod.Namespace).Get(context.Background(), pod.Name, metav1.GetOptions{})
		return err != nil
	})
	if ids := containers(t, labelPodUID+"=uid-sleeper"); len(ids) != 0 {
		t.Errorf("containers of the deleted pod left: %v", ids)
	}
}

// TestRunStops registers a node, runs a pod and stops the agent, which
// removes the pod's containers, its network, Lease and Node.
func TestRunStops(t *testing.T) {
	testenv.Require(t, "docker", "TUSK_TEST_DOCKER")
	client := fake.NewClientset()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, Config{Client: client, Name: "kubenode-stops", CPU: resource.MustParse("2")}) }()
	stop := sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	t.Cleanup(func() { _ = stop() })

	var node *corev1.Node
	testenv.Eventually(t, wait, "the node registered, with its lease", func() bool {
		var err error
		node, err = client.CoreV1().Nodes().Get(ctx, "kubenode-stops", metav1.GetOptions{})
		if err != nil || len(node.Status.Conditions) == 0 {
			return false
		}
		_, err = client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, "kubenode-stops", metav1.GetOptions{})
		return err == nil
	})
	if cpu := node.Status.Allocatable[corev1.ResourceCPU]; cpu.String() != "2" {
		t.Errorf("allocatable cpu %s", cpu.String())
	}
	if pods := node.Status.Capacity[corev1.ResourcePods]; pods.String() != "110" {
		t.Errorf("capacity pods %s", pods.String())
	}
	if c := node.Status.Conditions[0]; c.Type != corev1.NodeReady || c.Status != corev1.ConditionTrue || len(node.Spec.Taints) != 0 {
		t.Errorf("node condition %+v, taints %v", c, node.Spec.Taints)
	}
	lease, err := client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, "kubenode-stops", metav1.GetOptions{})
	if err != nil || *lease.Spec.HolderIdentity != "kubenode-stops" {
		t.Fatalf("lease %+v: %v", lease, err)
	}

	pod := shPod("kubenode-stops", "left", corev1.RestartPolicyAlways, "sleep 1000")
	create(t, client, pod)
	waitPod(t, client, pod, "Running", phaseIs(corev1.PodRunning))
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if ids := containers(t, labelNode+"=kubenode-stops"); len(ids) != 0 {
		t.Errorf("containers left: %v", ids)
	}
	if err := exec.Command("docker", "network", "inspect", "tusk-kubenode-stops").Run(); err == nil {
		t.Error("the node's network is left")
	}
	if _, err := client.CoreV1().Nodes().Get(context.Background(), "kubenode-stops", metav1.GetOptions{}); err == nil {
		t.Error("the node is left")
	}
}

// TestOrphans checks that an agent starting removes the containers and
// networks that an agent of a dead process left, and not those of a live
// one.
func TestOrphans(t *testing.T) {
	testenv.Require(t, "docker", "TUSK_TEST_DOCKER")
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	made := map[string]string{} // name → kind
	for name, own := range map[string]string{"kubenode-orphan": fmt.Sprintf("%s/%d", host, dead.Process.Pid), "kubenode-live": owner} {
		if err := exec.Command("docker", "network", "create", "--label", labelOwner+"="+own, name).Run(); err != nil {
			t.Fatal(err)
		}
		if err := exec.Command("docker", "create", "--name", name, "--label", labelOwner+"="+own, image).Run(); err != nil {
			t.Fatal(err)
		}
		made[name] = own
	}
	t.Cleanup(func() {
		for name := range made {
			_ = exec.Command("docker", "rm", "-f", name).Run()
			_ = exec.Command("docker", "network", "rm", name).Run()
		}
	})
	startFake(t)
	for name, own := range made {
		netErr := exec.Command("docker", "network", "inspect", name).Run()
		ctrErr := exec.Command("docker", "inspect", "--type", "container", name).Run()
		if kept := own == owner; (netErr == nil) != kept || (ctrErr == nil) != kept {
			t.Errorf("%s: want kept %v, network inspect: %v, container inspect: %v", name, kept, netErr, ctrErr)
		}
	}
}

// dockerOut runs docker and returns its output, trimmed.
func dockerOut(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v: %s", args[0], err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestPull runs pods of an image the engine lacks, which they pull from
// a registry under IfNotPresent and under Always; each container's
// imageID is the registry digest the engine has for the image, as a
// kubelet on Docker reports it.
func TestPull(t *testing.T) {
	n, client := startFake(t)
	repo := testenv.StartRegistry(t, "", "") + "/kubenode/busybox"
	ref := repo + ":" + n.Name
	dockerOut(t, "tag", image, ref)
	pushed := dockerOut(t, "push", "--quiet", ref)
	dockerOut(t, "rmi", ref)
	for _, policy := range []corev1.PullPolicy{corev1.PullIfNotPresent, corev1.PullAlways} {
		pod := shPod(n.Name, "pull-"+strings.ToLower(string(policy)), corev1.RestartPolicyNever, "echo pulled")
		pod.Spec.Containers[0].Image, pod.Spec.Containers[0].ImagePullPolicy = ref, policy
		create(t, client, pod)
		got := waitPod(t, client, pod, "ended", ended)
		if got.Status.Phase != corev1.PodSucceeded || logs(t, n, pod, "main") != "pulled\n" {
			t.Errorf("%s: phase %s, status %+v", policy, got.Status.Phase, got.Status.ContainerStatuses)
		}
		digests := dockerOut(t, "image", "inspect", "--format", "{{range .RepoDigests}}{{.}} {{end}}", ref)
		want := ""
		for _, d := range strings.Fields(digests) {
			if strings.HasPrefix(d, repo+"@sha256:") {
				want = "docker-pullable://" + d
			}
		}
		if id := got.Status.ContainerStatuses[0].ImageID; want == "" || id != want {
			t.Errorf("%s: imageID %q, want docker-pullable:// and the digest of %s among %q (pushed: %s)", policy, id, repo, digests, pushed)
		}
		if err := exec.Command("docker", "rmi", ref).Run(); err != nil {
			t.Fatal(err)
		}
	}
}
