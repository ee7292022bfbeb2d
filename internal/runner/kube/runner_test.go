package kube

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/tuskdata/tusk/internal/runner"
)

const ns = "tusk-test"

// creds records the tokens a runner issues and revokes.
type creds struct {
	mu      sync.Mutex
	n       int
	issued  map[string]string // token → worker name
	revoked map[string]bool
}

func newCreds() *creds { return &creds{issued: map[string]string{}, revoked: map[string]bool{}} }

func (c *creds) Issue(_ context.Context, pipeline, worker string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	tok := fmt.Sprintf("token-%d-%s", c.n, pipeline)
	c.issued[tok] = worker
	return tok, nil
}

func (c *creds) Revoke(_ context.Context, token string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.revoked[token] = true
	return nil
}

// live returns the tokens issued and not revoked.
func (c *creds) live() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for tok := range c.issued {
		if !c.revoked[tok] {
			out = append(out, tok)
		}
	}
	slices.Sort(out)
	return out
}

// testRunner is a runner on a fake clientset.
type testRunner struct {
	*Runner
	cli   *fake.Clientset
	creds *creds
}

func newTestRunner(t *testing.T, server string, objects ...runtime.Object) *testRunner {
	t.Helper()
	return newTestRunnerOn(t, fake.NewClientset(objects...), newCreds(), server)
}

// newTestRunnerOn makes a runner of server on cli, issuing tokens from c.
func newTestRunnerOn(t *testing.T, cli *fake.Clientset, c *creds, server string) *testRunner {
	t.Helper()
	r, err := New(context.Background(), Options{API: clientsetAPI(cli, ns), Namespace: ns, Image: "tuskdata/tusk:0.1.0",
		ServerAddress: "http://tusk.tusk-test.svc:8080", Cluster: "CLUSTER1", Server: server, Credentials: c,
		StopTimeout: 2 * time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return &testRunner{Runner: r, cli: cli, creds: c}
}

// clientsetAPI is the API of a clientset (here client-go's fake) in
// namespace ns.
func clientsetAPI(cli kubernetes.Interface, ns string) API {
	return API{Deployments: cli.AppsV1().Deployments(ns), Secrets: cli.CoreV1().Secrets(ns), Pods: cli.CoreV1().Pods(ns),
		Services: cli.CoreV1().Services(ns)}
}

func spec(p string, v, n int) runner.WorkerSpec {
	return runner.WorkerSpec{Pipeline: p, Version: v, Workers: n, Image: "busybox:1.37"}
}

func (tr *testRunner) ensure(t *testing.T, w runner.WorkerSpec) {
	t.Helper()
	if err := tr.Ensure(context.Background(), w); err != nil {
		t.Fatalf("Ensure %+v: %v", w, err)
	}
}

// deployments returns the Deployments in the namespace by name.
func (tr *testRunner) deployments(t *testing.T) map[string]appsv1.Deployment {
	t.Helper()
	list, err := tr.cli.AppsV1().Deployments(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]appsv1.Deployment{}
	for _, d := range list.Items {
		out[d.Name] = d
	}
	return out
}

// secrets returns the names of the Secrets in the namespace.
func (tr *testRunner) secrets(t *testing.T) []string {
	t.Helper()
	list, err := tr.cli.CoreV1().Secrets(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range list.Items {
		out = append(out, s.Name)
	}
	slices.Sort(out)
	return out
}

// writes returns the verbs and resources of the actions that changed
// something, since the last call.
func (tr *testRunner) writes() []string {
	var out []string
	for _, a := range tr.cli.Actions() {
		switch a.GetVerb() {
		case "get", "list", "watch":
			continue
		}
		out = append(out, a.GetVerb()+" "+a.GetResource().Resource)
	}
	tr.cli.ClearActions()
	return out
}

func TestEnsureCreatesAndIsIdempotent(t *testing.T) {
	tr := newTestRunner(t, "server1")
	tr.ensure(t, spec("edges", 1, 3))
	name := objectName("CLUSTER1", "edges", 1)
	d, ok := tr.deployments(t)[name]
	if !ok {
		t.Fatalf("no Deployment %s among %v", name, tr.deployments(t))
	}
	if got := *d.Spec.Replicas; got != 3 {
		t.Errorf("replicas %d, want 3", got)
	}
	if got := tr.secrets(t); !slices.Equal(got, []string{name}) {
		t.Errorf("Secrets %v, want [%s]", got, name)
	}
	if got := tr.creds.live(); len(got) != 1 || tr.creds.issued[got[0]] != name {
		t.Errorf("live tokens %v, want one issued for %s", got, name)
	}
	tr.writes()
	for range 3 {
		tr.ensure(t, spec("edges", 1, 3))
	}
	if w := tr.writes(); len(w) > 0 {
		t.Errorf("Ensure of what runs wrote %v, want nothing", w)
	}
	if n := len(tr.creds.issued); n != 1 {
		t.Errorf("%d tokens issued, want 1", n)
	}
}

func TestEnsureScalesByPatch(t *testing.T) {
	tr := newTestRunner(t, "server1")
	tr.ensure(t, spec("edges", 1, 1))
	tr.writes()
	tr.ensure(t, spec("edges", 1, 4))
	if w := tr.writes(); !slices.Equal(w, []string{"patch deployments"}) {
		t.Errorf("scaling wrote %v, want one patch of the Deployment", w)
	}
	d := tr.deployments(t)[objectName("CLUSTER1", "edges", 1)]
	if got := *d.Spec.Replicas; got != 4 {
		t.Errorf("replicas %d after scaling, want 4", got)
	}
	tr.ensure(t, spec("edges", 1, 0))
	d = tr.deployments(t)[objectName("CLUSTER1", "edges", 1)]
	if got := *d.Spec.Replicas; got != 0 {
		t.Errorf("replicas %d after scaling to zero, want 0", got)
	}
	if n := len(tr.creds.issued); n != 1 {
		t.Errorf("scaling issued tokens: %d in all, want 1", n)
	}
}

func TestEnsureReplacesVersion(t *testing.T) {
	tr := newTestRunner(t, "server1")
	tr.ensure(t, spec("edges", 1, 2))
	tr.ensure(t, spec("other", 1, 1))
	old := tr.creds.live()
	tr.ensure(t, spec("edges", 2, 2))
	v1, v2, other := objectName("CLUSTER1", "edges", 1), objectName("CLUSTER1", "edges", 2), objectName("CLUSTER1", "other", 1)
	var names []string
	for n := range tr.deployments(t) {
		names = append(names, n)
	}
	slices.Sort(names)
	want := []string{v2, other}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("Deployments %v, want %v", names, want)
	}
	if got := tr.secrets(t); !slices.Equal(got, want) {
		t.Errorf("Secrets %v, want %v", got, want)
	}
	for _, tok := range old {
		if tr.creds.issued[tok] == v1 && !tr.creds.revoked[tok] {
			t.Errorf("version 1's token %s not revoked", tok)
		}
		if tr.creds.issued[tok] == other && tr.creds.revoked[tok] {
			t.Errorf("another pipeline's token %s revoked", tok)
		}
	}
	if _, ok := tr.deployments(t)[v1]; ok {
		t.Errorf("Deployment %s of version 1 left", v1)
	}
}

func TestDeleteIsForeground(t *testing.T) {
	tr := newTestRunner(t, "server1")
	tr.ensure(t, spec("edges", 1, 1))
	tr.cli.ClearActions()
	if err := tr.Stop(context.Background(), "edges"); err != nil {
		t.Fatal(err)
	}
	var deletes int
	for _, a := range tr.cli.Actions() {
		if d, ok := a.(k8stesting.DeleteAction); ok && d.GetResource().Resource == "deployments" {
			deletes++
			p := d.GetDeleteOptions().PropagationPolicy
			if p == nil || *p != metav1.DeletePropagationForeground {
				t.Errorf("Deployment deleted with propagation %v, want Foreground", p)
			}
		}
	}
	if deletes != 1 {
		t.Errorf("%d Deployments deleted, want 1", deletes)
	}
}

func TestStopRemovesOnePipeline(t *testing.T) {
	tr := newTestRunner(t, "server1")
	tr.ensure(t, spec("edges", 1, 2))
	tr.ensure(t, spec("other", 3, 1))
	if err := tr.Stop(context.Background(), "edges"); err != nil {
		t.Fatal(err)
	}
	other := objectName("CLUSTER1", "other", 3)
	if got := tr.deployments(t); len(got) != 1 || got[other].Name != other {
		t.Errorf("after Stop: Deployments %v, want only %s", got, other)
	}
	if got := tr.secrets(t); !slices.Equal(got, []string{other}) {
		t.Errorf("after Stop: Secrets %v, want [%s]", got, other)
	}
	if live := tr.creds.live(); len(live) != 1 || tr.creds.issued[live[0]] != other {
		t.Errorf("after Stop: live tokens %v, want only other's", live)
	}
	if err := tr.Stop(context.Background(), "edges"); err != nil {
		t.Errorf("Stop of a stopped pipeline: %v", err)
	}
	tr.ensure(t, spec("edges", 1, 2))
	if _, ok := tr.deployments(t)[objectName("CLUSTER1", "edges", 1)]; !ok {
		t.Error("Ensure after Stop made no Deployment")
	}
}

// TestStopWaitsForPods: Stop fails, naming them, while pods of the
// pipeline remain past the timeout, and succeeds once they are gone.
func TestStopWaitsForPods(t *testing.T) {
	tr := newTestRunner(t, "server1")
	w := spec("edges", 1, 1)
	tr.ensure(t, w)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "edges-pod-1", Namespace: ns, Labels: tr.versionLabels("edges", 1)}}
	if _, err := tr.cli.CoreV1().Pods(ns).Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err := tr.Stop(context.Background(), "edges")
	if err == nil || !strings.Contains(err.Error(), "edges-pod-1") {
		t.Fatalf("Stop with a pod left: %v, want an error naming it", err)
	}
	// The pod goes while Stop waits: at its third look.
	tr.ensure(t, w)
	looks := 0
	tr.cli.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		if looks++; looks == 3 {
			if err := tr.cli.Tracker().Delete(corev1.SchemeGroupVersion.WithResource("pods"), ns, pod.Name); err != nil {
				t.Error(err)
			}
		}
		return false, nil, nil
	})
	if err := tr.Stop(context.Background(), "edges"); err != nil {
		t.Errorf("Stop with a pod that goes: %v", err)
	}
	if looks < 3 {
		t.Errorf("Stop looked at the pods %d times, so it did not wait for the pod to go", looks)
	}
}

func TestCloseRemovesOnlyItsOwn(t *testing.T) {
	cli := fake.NewClientset()
	other := newTestRunnerOn(t, cli, newCreds(), "server2")
	other.ensure(t, spec("kept", 1, 1))
	tr := newTestRunnerOn(t, cli, newCreds(), "server1")
	tr.ensure(t, spec("edges", 1, 2))
	tr.ensure(t, spec("more", 1, 1))
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	kept := objectName("CLUSTER1", "kept", 1)
	if got := tr.deployments(t); len(got) != 1 || got[kept].Name != kept {
		t.Errorf("after Close: Deployments %v, want only the other server's %s", got, kept)
	}
	if live := tr.creds.live(); len(live) != 0 {
		t.Errorf("after Close: tokens %v not revoked", live)
	}
	if err := tr.Ensure(context.Background(), spec("edges", 1, 1)); err == nil {
		t.Error("Ensure after Close succeeded")
	}
	if len(tr.creds.issued) != 2 {
		t.Errorf("Ensure after Close issued a token")
	}
	if err := tr.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestRemoveDeadWorkers(t *testing.T) {
	cli := fake.NewClientset()
	c := newCreds()
	dead := newTestRunnerOn(t, cli, c, "dead")
	dead.ensure(t, spec("a", 1, 1))
	alive := newTestRunnerOn(t, cli, c, "alive")
	alive.ensure(t, spec("b", 1, 1))
	foreign := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "foreign", Namespace: ns,
		Labels: map[string]string{labelManagedBy: managedBy, labelCluster: "CLUSTER2", labelServer: "gone"}}}
	if _, err := cli.AppsV1().Deployments(ns).Create(context.Background(), foreign, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	leader := newTestRunnerOn(t, cli, c, "leader")
	leader.ensure(t, spec("c", 1, 1))
	if err := leader.RemoveDeadWorkers(context.Background(), func(s string) bool { return s == "alive" }); err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range leader.deployments(t) {
		names = append(names, n)
	}
	slices.Sort(names)
	want := []string{objectName("CLUSTER1", "b", 1), objectName("CLUSTER1", "c", 1), "foreign"}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("after RemoveDeadWorkers: Deployments %v, want %v", names, want)
	}
}

// TestNewLeaderReplacesToken: a Deployment of this version made by
// another server gets a new pod template and token when this server
// ensures it.
func TestNewLeaderReplacesToken(t *testing.T) {
	cli := fake.NewClientset()
	c := newCreds()
	first := newTestRunnerOn(t, cli, c, "first")
	first.ensure(t, spec("edges", 1, 2))
	firstToken := first.creds.live()[0]
	second := newTestRunnerOn(t, cli, c, "second")
	second.ensure(t, spec("edges", 1, 2))
	name := objectName("CLUSTER1", "edges", 1)
	d := second.deployments(t)[name]
	if got := d.Labels[labelServer]; got != "second" {
		t.Errorf("Deployment's server label %q, want second", got)
	}
	if d.Spec.Template.Labels[labelServer] != "second" || d.Spec.Template.Annotations[annotationHash] != d.Annotations[annotationHash] {
		t.Errorf("pod template labels %v and annotations %v do not follow the new server", d.Spec.Template.Labels, d.Spec.Template.Annotations)
	}
	s, err := cli.CoreV1().Secrets(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, live := string(s.Data[tokenKey]), c.live(); len(live) != 1 || got != live[0] || got == firstToken {
		t.Errorf("Secret's token %q, want the one live token %v, issued by the second server", got, live)
	}
	if !c.revoked[firstToken] {
		t.Error("the first server's token was not revoked")
	}
}

// TestEnsureReportsPodTrouble: a worker pod that cannot pull its image
// makes Ensure fail with Kubernetes' reason.
func TestEnsureReportsPodTrouble(t *testing.T) {
	tr := newTestRunner(t, "server1")
	tr.ensure(t, spec("edges", 1, 1))
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "edges-pod", Namespace: ns, Labels: tr.versionLabels("edges", 1)},
		Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: workerName, State: corev1.ContainerState{
			Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: `Back-off pulling image "busybox:1.37"`}}}}}}
	if _, err := tr.cli.CoreV1().Pods(ns).Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err := tr.Ensure(context.Background(), spec("edges", 1, 1))
	if err == nil || !strings.Contains(err.Error(), "ImagePullBackOff") || !strings.Contains(err.Error(), "edges-pod") {
		t.Errorf("Ensure with a pod that cannot pull: %v, want an error naming the pod and ImagePullBackOff", err)
	}
}

// TestEnsureAfterFailedCreate: a Deployment that could not be made leaves
// its Secret; the next Ensure replaces its token and revokes the old one.
func TestEnsureAfterFailedCreate(t *testing.T) {
	tr := newTestRunner(t, "server1")
	fail := true
	tr.cli.PrependReactor("create", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		if fail {
			return true, nil, fmt.Errorf("the API server is full")
		}
		return false, nil, nil
	})
	if err := tr.Ensure(context.Background(), spec("edges", 1, 1)); err == nil || !strings.Contains(err.Error(), "the API server is full") {
		t.Fatalf("Ensure with a failing create: %v", err)
	}
	first := tr.creds.live()
	fail = false
	tr.ensure(t, spec("edges", 1, 1))
	live := tr.creds.live()
	if len(first) != 1 || len(live) != 1 || live[0] == first[0] {
		t.Errorf("live tokens %v after the failure, %v after the retry; want one each, not the same", first, live)
	}
	if _, ok := tr.deployments(t)[objectName("CLUSTER1", "edges", 1)]; !ok {
		t.Error("the retry made no Deployment")
	}
}
