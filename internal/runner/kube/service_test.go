package kube

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tuskdata/tusk/internal/runner"
)

// TestServiceOfAServicePipeline: a service pipeline's version gets a
// Service of its Deployment's name, owned by it, that sends
// external_port (the NodePort) to the pods' internal_port; Ensure makes
// it again if it is gone, and other pipelines get none.
func TestServiceOfAServicePipeline(t *testing.T) {
	tr := newTestRunner(t, "server-1")
	w := spec("web", 1, 1)
	w.Service = &runner.Service{Port: 8080, HostPort: 30080}
	tr.ensure(t, w)
	name := objectName("CLUSTER1", "web", 1)
	svc, err := tr.cli.CoreV1().Services(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := svc.Spec.Ports
	if svc.Spec.Type != corev1.ServiceTypeNodePort || len(p) != 1 || p[0].Port != 30080 || p[0].NodePort != 30080 || p[0].TargetPort.IntVal != 8080 {
		t.Errorf("Service %s: type %s, ports %+v; want NodePort 30080 to 8080", name, svc.Spec.Type, p)
	}
	if o := svc.OwnerReferences; len(o) != 1 || o[0].Kind != "Deployment" || o[0].Name != name {
		t.Errorf("Service %s is owned by %+v, want its Deployment", name, o)
	}
	if sel := svc.Spec.Selector; sel[labelVersion] != "1" || sel[labelPipeline] != "web" {
		t.Errorf("Service %s selects %v, want the version's pods", name, sel)
	}
	if got, want := tr.ServiceAddress(w), name+".tusk-test.svc:30080 (NodePort 30080 on every node)"; got != want {
		t.Errorf("address %q, want %q", got, want)
	}

	if err := tr.cli.CoreV1().Services(ns).Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	tr.ensure(t, w)
	if _, err := tr.cli.CoreV1().Services(ns).Get(context.Background(), name, metav1.GetOptions{}); err != nil {
		t.Errorf("Ensure did not make the missing Service again: %v", err)
	}

	w.Service = &runner.Service{Port: 8080, HostPort: 80, Type: "ClusterIP"}
	w.Version = 2
	tr.ensure(t, w)
	svc, err = tr.cli.CoreV1().Services(ns).Get(context.Background(), objectName("CLUSTER1", "web", 2), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Spec.Type != corev1.ServiceTypeClusterIP || svc.Spec.Ports[0].NodePort != 0 || svc.Spec.Ports[0].Port != 80 {
		t.Errorf("ClusterIP Service: %+v", svc.Spec)
	}

	tr.ensure(t, spec("edges", 1, 1))
	list, err := tr.cli.CoreV1().Services(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list.Items {
		if s.Labels[labelPipeline] == "edges" {
			t.Errorf("pipeline edges, no service, has Service %s", s.Name)
		}
	}
}

// TestNodePortOutOfRange: a NodePort service (the default type) whose
// published port Kubernetes would refuse is refused by Check, with what
// to set; in range, or a ClusterIP service, passes.
func TestNodePortOutOfRange(t *testing.T) {
	tr := newTestRunner(t, "server-1")
	w := spec("web", 1, 1)
	for _, c := range []struct {
		svc runner.Service
		ok  bool
	}{
		{runner.Service{Port: 8080, HostPort: 8080}, false},
		{runner.Service{Port: 8080, HostPort: 29999, Type: "NodePort"}, false},
		{runner.Service{Port: 8080, HostPort: 32768}, false},
		{runner.Service{Port: 8080, HostPort: 30000}, true},
		{runner.Service{Port: 8080, HostPort: 32767, Type: "NodePort"}, true},
		{runner.Service{Port: 8080, HostPort: 8080, Type: "ClusterIP"}, true},
	} {
		w.Service = &c.svc
		err := tr.Check(w)
		if c.ok && err != nil {
			t.Errorf("%+v: %v", c.svc, err)
		}
		if !c.ok && (err == nil || !strings.Contains(err.Error(), "set service.external_port in that range")) {
			t.Errorf("%+v: error %v, want one saying to set service.external_port from 30000 to 32767", c.svc, err)
		}
	}
}
