package kube

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/tuskdata/tusk/internal/runner"
)

// A service pipeline's version has a Service of the Deployment's name
// that sends its port (external_port; also the NodePort of a NodePort
// Service, Pachyderm's default type) to the pods' internal_port. The
// Deployment owns it, so that it goes with it.

// The ports Kubernetes gives NodePort Services by default
// (--service-node-port-range), which Pachyderm's services use too.
const (
	minNodePort = 30000
	maxNodePort = 32767
)

// checkNodePort refuses a NodePort service (the default type) whose
// published port, external_port or else internal_port, is outside the
// NodePort range: Kubernetes would refuse its Service only once the
// pipeline runs.
func checkNodePort(s *runner.Service) error {
	if s == nil || (s.Type != "" && s.Type != string(corev1.ServiceTypeNodePort)) {
		return nil
	}
	if s.HostPort < minNodePort || s.HostPort > maxNodePort {
		return fmt.Errorf("service: a NodePort service is published on external_port (else internal_port), here %d, "+
			"which Kubernetes only accepts from %d to %d; set service.external_port in that range, "+
			"or service.type to %q to publish it inside the cluster only", s.HostPort, minNodePort, maxNodePort, corev1.ServiceTypeClusterIP)
	}
	return nil
}

// ensureService makes the Service of service w, whose Deployment is d,
// if it is missing.
func (r *Runner) ensureService(ctx context.Context, w runner.WorkerSpec, d *appsv1.Deployment) error {
	if w.Service == nil {
		return nil
	}
	svcs := r.api.Services
	_, err := svcs.Get(ctx, d.Name, metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		if err != nil {
			return fmt.Errorf("get Service %s: %w", d.Name, err)
		}
		return nil
	}
	if _, err := svcs.Create(ctx, r.service(w, d), metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create Service %s: %w", d.Name, err)
	}
	r.log.Info("service created", "pipeline", w.Pipeline, "version", w.Version, "service", d.Name, "address", r.ServiceAddress(w))
	return nil
}

// service is the Service of service w, whose Deployment is d.
func (r *Runner) service(w runner.WorkerSpec, d *appsv1.Deployment) *corev1.Service {
	s := w.Service
	meta := r.objectMeta(w)
	meta.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: d.Name, UID: d.UID}}
	port := corev1.ServicePort{Name: "user-port", Protocol: corev1.ProtocolTCP, Port: int32(s.HostPort),
		TargetPort: intstr.FromInt32(int32(s.Port))}
	typ := corev1.ServiceType(cmp.Or(s.Type, string(corev1.ServiceTypeNodePort)))
	if typ == corev1.ServiceTypeNodePort {
		port.NodePort = int32(s.HostPort)
	}
	svc := &corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{Type: typ, Ports: []corev1.ServicePort{port},
		Selector: r.versionLabels(w.Pipeline, w.Version)}}
	if s.HostIP != "" {
		svc.Spec.ExternalIPs = []string{s.HostIP}
	}
	return svc
}

// ServiceAddress is the Service's address in the cluster; a NodePort's is
// also the port on every node.
func (r *Runner) ServiceAddress(w runner.WorkerSpec) string {
	addr := net.JoinHostPort(objectName(r.opts.Cluster, w.Pipeline, w.Version)+"."+r.opts.Namespace+".svc", strconv.Itoa(w.Service.HostPort))
	if w.Service.Type == "" || w.Service.Type == string(corev1.ServiceTypeNodePort) {
		addr += fmt.Sprintf(" (NodePort %d on every node)", w.Service.HostPort)
	}
	return addr
}
