package kube

import (
	"os"
	"path/filepath"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:6443"}
users:
- name: u
  user: {token: "secret"}
contexts:
- name: ctx
  context: {cluster: c, user: u, namespace: pipelines}
current-context: ctx
`

func TestConnect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	api, ns, err := Connect(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if ns != "pipelines" {
		t.Errorf("namespace %q, want the context's, pipelines", ns)
	}
	u := api.Deployments.(restObjects[*appsv1.Deployment, *appsv1.DeploymentList]).client.Get().URL()
	if u.Host != "127.0.0.1:6443" || u.Path != "/apis/apps/v1" {
		t.Errorf("client of %s, want the kubeconfig's server 127.0.0.1:6443, path /apis/apps/v1", u)
	}
	if _, ns, err = Connect(path, "other"); err != nil || ns != "other" {
		t.Errorf("with --namespace other: namespace %q, %v", ns, err)
	}
	if _, _, err := Connect(filepath.Join(t.TempDir(), "missing"), ""); err == nil {
		t.Error("a missing kubeconfig file was accepted")
	}
}
