package kube

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoClientset: the tusk binary does not link client-go's clientset,
// whose registration of every API group every tusk process would pay for
// at its start (API).
func TestNoClientset(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/tuskdata/tusk/cmd/tusk").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "k8s.io/client-go/kubernetes" || strings.HasPrefix(pkg, "k8s.io/client-go/kubernetes/") {
			t.Errorf("cmd/tusk depends on %s", pkg)
		}
	}
	if !strings.Contains(string(out), "github.com/tuskdata/tusk/internal/runner/kube\n") {
		t.Error("cmd/tusk does not depend on the kube runner, so this test checks nothing")
	}
}
