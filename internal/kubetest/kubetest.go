package kubetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/testenv"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Version is the Kubernetes release of the control plane (tools/kube).
const Version = "v1.37.2"

// EnvVar names the directory of the control plane's programs: etcd,
// kube-apiserver, kube-scheduler and kube-controller-manager, as
// .ci/kube.sh builds them.
const EnvVar = "TUSK_TEST_KUBE"

// ControlPlane is a test's view of a running control plane.
type ControlPlane struct {
	// Config reaches the API server as an administrator (group
	// system:masters).
	Config *rest.Config
	// Client is an administrator's clientset on Config.
	Client *kubernetes.Clientset
	// Kubeconfig is a kubeconfig file, for kubectl and `tusk up
	// --kubeconfig`: the administrator, in Namespace.
	Kubeconfig string
	// Namespace is the test's own, with its default service account;
	// it is deleted, with what is in it, when the test ends.
	Namespace string
	// Dir holds the control plane's logs, one file per program.
	Dir string
}

// shared is the control plane of the process's tests, under Main.
var shared struct {
	on   bool // Main is running the tests
	once sync.Once
	p    *plane
	err  error
}

// Main runs the tests of m so that they share one control plane, started
// by the first Start and stopped when they are done; a package's TestMain
// calls it as os.Exit(kubetest.Main(m)).
func Main(m *testing.M) int {
	shared.on = true
	code := m.Run()
	if p := shared.p; p != nil {
		p.stop()
		os.RemoveAll(p.dir)
	}
	return code
}

// Start returns a control plane for t, with a namespace of its own: the
// shared one under Main, otherwise one of t's own, stopped when t ends.
// It skips t when TUSK_TEST_KUBE is unset, or fails it if
// TUSK_TEST_REQUIRE names kube. If t fails, the end of the control
// plane's logs is logged.
func Start(t testing.TB) *ControlPlane {
	t.Helper()
	bin := testenv.Require(t, "kube", EnvVar)
	var p *plane
	if shared.on {
		shared.once.Do(func() {
			shared.err = fmt.Errorf("the shared control plane did not start: see the first test that used it")
			dir, err := os.MkdirTemp("", "tusk-kube-")
			if err != nil {
				shared.err = fmt.Errorf("make the control plane's directory: %w", err)
				return
			}
			shared.p, shared.err = startLogged(t, bin, dir)
		})
		if shared.err != nil {
			t.Fatalf("kubetest: %v", shared.err)
		}
		p = shared.p
	} else {
		var err error
		if p, err = startLogged(t, bin, t.TempDir()); err != nil {
			t.Fatalf("kubetest: %v", err)
		}
		t.Cleanup(p.stop)
	}
	if err := p.exited(); err != nil {
		t.Fatalf("kubetest: the control plane is broken: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kubetest: the control plane's logs end:\n%s", p.logs())
		}
	})
	cp, err := p.namespace(namespacePrefix(t.Name()), t.TempDir())
	if err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	t.Cleanup(func() {
		if err := p.deleteNamespace(cp.Namespace); err != nil && p.exited() == nil {
			t.Errorf("kubetest: %v", err)
		}
	})
	return cp
}

// startLogged is startPlane, logging to t how long it took.
func startLogged(t testing.TB, bin, dir string) (*plane, error) {
	started := time.Now()
	p, err := startPlane(bin, dir)
	if err == nil {
		t.Logf("kubetest: control plane %s ready in %s (files in %s)", Version, time.Since(started).Round(time.Millisecond), dir)
	}
	return p, err
}

// Cluster is a control plane that Launch started outside a test.
type Cluster struct {
	ControlPlane
	p *plane
}

// Launch starts a control plane outside a test (for the bench), from the
// programs in the directory TUSK_TEST_KUBE names, with its files in dir
// and a namespace named from prefix. Close stops it.
func Launch(dir, prefix string) (*Cluster, error) {
	bin := os.Getenv(EnvVar)
	if bin == "" {
		return nil, fmt.Errorf("%s is not set: build the control plane and set it with: eval \"$(bash .ci/kube.sh)\"", EnvVar)
	}
	p, err := startPlane(bin, dir)
	if err != nil {
		return nil, err
	}
	cp, err := p.namespace(namespacePrefix(prefix), dir)
	if err != nil {
		p.stop()
		return nil, err
	}
	return &Cluster{ControlPlane: *cp, p: p}, nil
}

// Close stops the control plane's programs; its files stay in Dir.
func (c *Cluster) Close() { c.p.stop() }

// Logs returns the last lines of each program's log.
func (c *Cluster) Logs() string { return c.p.logs() }

// namespace makes a namespace named from prefix on p, with a kubeconfig
// for it in dir, and returns the view of p from it.
func (p *plane) namespace(prefix, dir string) (*ControlPlane, error) {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	ns, err := p.client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: prefix},
	}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("create a namespace: %w", err)
	}
	// Pods are refused in a namespace until the controller-manager has
	// made its default service account.
	for {
		_, err := p.client.CoreV1().ServiceAccounts(ns.Name).Get(ctx, "default", metav1.GetOptions{})
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("the default service account of namespace %s did not appear within %s: %w", ns.Name, readyTimeout, err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := writeKubeconfig(kubeconfig, p.config, ns.Name); err != nil {
		return nil, err
	}
	return &ControlPlane{
		Config:     rest.CopyConfig(p.config),
		Client:     p.client,
		Kubeconfig: kubeconfig,
		Namespace:  ns.Name,
		Dir:        p.dir,
	}, nil
}

// deleteNamespace deletes the namespace ns of p, with what is in it.
func (p *plane) deleteNamespace(ns string) error {
	if err := p.client.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}); err != nil {
		return fmt.Errorf("delete namespace %s: %w", ns, err)
	}
	return nil
}

var notInName = regexp.MustCompile(`[^a-z0-9]+`)

// namespacePrefix turns a test's name into the prefix of a namespace's
// generated name: a DNS label of at most 40 characters ending in "-".
func namespacePrefix(test string) string {
	s := strings.Trim(notInName.ReplaceAllString(strings.ToLower(test), "-"), "-")
	if len(s) > 40 {
		s = strings.TrimRight(s[:40], "-")
	}
	if s == "" {
		s = "test"
	}
	return s + "-"
}

// Wait is how long a test should wait for the control plane to act on a
// change (a controller or the scheduler making or binding objects): much
// longer than it takes, so that only a broken control plane times out.
const Wait = 2 * time.Minute

// CountPods counts the pods of cp's namespace that the label selector
// selects: all of them, and those Running and not being deleted.
func (cp *ControlPlane) CountPods(ctx context.Context, selector string) (all, running int, err error) {
	pods, err := cp.Client.CoreV1().Pods(cp.Namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return 0, 0, fmt.Errorf("list the pods of %s: %w", selector, err)
	}
	for _, p := range pods.Items {
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
			running++
		}
	}
	return len(pods.Items), running, nil
}
