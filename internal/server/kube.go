package server

import (
	"context"
	"fmt"
	"os"

	"github.com/tuskdata/tusk/internal/runner/kube"
	"github.com/tuskdata/tusk/internal/tlscert"
	"github.com/tuskdata/tusk/internal/tusk"
)

// KubeConfig configures the kube runner, which runs pipeline workers as
// the pods of a Deployment per pipeline version.
type KubeConfig struct {
	// Kubeconfig is a kubeconfig file; default: the pod's service account
	// in a cluster, else $KUBECONFIG or ~/.kube/config.
	Kubeconfig string
	// Namespace is where workers run; default: the kubeconfig context's,
	// else the pod's, else "default".
	Namespace string
	// Image is Tusk's own image, whose static binary worker pods run;
	// default DefaultKubeImage.
	Image string
	// ServerAddress is the URL workers dial to reach the servers (a
	// Service in front of them).
	ServerAddress string
	// ServerCAFile is a PEM file of the CA that signed the servers'
	// certificate, which workers then trust; without it, under TLS,
	// workers pin this server's certificate.
	ServerCAFile string
	// ServiceAccount is the service account of worker pods.
	ServiceAccount string
}

// DefaultKubeImage is the image of this build's version: FROM scratch,
// the static tusk binary at /tusk.
func DefaultKubeImage() string { return "ghcr.io/tuskdata/tusk:" + Version }

// kubeRunner starts the kube runner, whose objects carry the cluster's ID
// and this server's, and whose workers trust the CA of ServerCAFile, or
// else, when the server serves TLS, its certificate by its fingerprint
// (servers behind one Service then share a certificate).
func (s *Server) kubeRunner(ctx context.Context) (*kube.Runner, error) {
	c := s.cfg.Kube
	if c.ServerAddress == "" {
		return nil, tusk.Errorf(tusk.KindInvalid, "the kube runner needs the address at which worker pods reach the server").
			WithHint("give --kube-server-address, such as http://tusk.NAMESPACE.svc:1650 for a Service named tusk")
	}
	api, ns, err := kube.Connect(c.Kubeconfig, c.Namespace)
	if err != nil {
		return nil, err
	}
	cluster, err := s.db.ClusterID(ctx)
	if err != nil {
		return nil, fmt.Errorf("the cluster's ID, which labels worker Deployments: %w", err)
	}
	opts := kube.Options{API: api, Namespace: ns, Image: c.Image, ServerAddress: c.ServerAddress,
		ServiceAccount: c.ServiceAccount, Cluster: cluster, Server: s.instance, Credentials: workerCredentials{s.auth}, Secrets: secretSource{s}, Logger: s.log}
	if opts.Image == "" {
		opts.Image = DefaultKubeImage()
	}
	switch {
	case c.ServerCAFile != "":
		pem, err := os.ReadFile(c.ServerCAFile)
		if err != nil {
			return nil, fmt.Errorf("the workers' server CA: %w", err)
		}
		if _, err := tlscert.Pool(pem); err != nil {
			return nil, fmt.Errorf("the workers' server CA %s: %w", c.ServerCAFile, err)
		}
		opts.ServerCA = string(pem)
	case s.cert != nil:
		opts.ServerFingerprint = s.cert.Fingerprint.String()
	}
	return kube.New(ctx, opts)
}
