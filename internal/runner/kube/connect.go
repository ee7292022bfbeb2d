package kube

import (
	"fmt"

	"k8s.io/client-go/tools/clientcmd"
)

// Connect returns the API of a cluster in the namespace to work in, and
// that namespace. With a kubeconfig file it uses that file's current context; without
// one, the pod's service account when it runs in a cluster
// (KUBERNETES_SERVICE_HOST is set), else $KUBECONFIG or ~/.kube/config,
// as kubectl does. The namespace is namespace if given, else the
// context's, else the pod's, else "default".
func Connect(kubeconfig, namespace string) (API, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	overrides := &clientcmd.ConfigOverrides{}
	overrides.Context.Namespace = namespace
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := cc.ClientConfig()
	if err != nil {
		return API{}, "", fmt.Errorf("kubernetes client configuration: %w", err)
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return API{}, "", fmt.Errorf("kubernetes namespace: %w", err)
	}
	cfg.UserAgent = "tusk"
	api, err := NewAPI(cfg, ns)
	return api, ns, err
}
