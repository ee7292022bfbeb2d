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
			shared.p, shared.err = startPlane(t, bin, dir)
		})
		if shared.err != nil {
			t.Fatalf("kubetest: %v", shared.err)
		}
		p = shared.p
	} else {
		var err error
		if p, err = startPlane(t, bin, t.TempDir()); err != nil {
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
	return p.forTest(t)
}

// forTest makes a namespace for t on p, deleted when t ends, and returns
// t's view of p.
func (p *plane) forTest(t testing.TB) *ControlPlane {
	t.Helper()
	ctx := context.Background()
	ns, err := p.client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: namespacePrefix(t.Name())},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("kubetest: create the test's namespace: %v", err)
	}
	t.Cleanup(func() {
		err := p.client.CoreV1().Namespaces().Delete(context.Background(), ns.Name, metav1.DeleteOptions{})
		if err != nil && p.exited() == nil {
			t.Errorf("kubetest: delete namespace %s: %v", ns.Name, err)
		}
	})
	// Pods are refused in a namespace until the controller-manager has
	// made its default service account.
	testenv.Eventually(t, readyTimeout, "the default service account of namespace "+ns.Name+" exists", func() bool {
		_, err := p.client.CoreV1().ServiceAccounts(ns.Name).Get(ctx, "default", metav1.GetOptions{})
		return err == nil
	})
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := writeKubeconfig(kubeconfig, p.config, ns.Name); err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	return &ControlPlane{
		Config:     rest.CopyConfig(p.config),
		Client:     p.client,
		Kubeconfig: kubeconfig,
		Namespace:  ns.Name,
		Dir:        p.dir,
	}
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
