package kubetest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tuskdata/tusk/internal/tlscert/tlscerttest"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Controllers are the controllers kube-controller-manager runs: enough
// for Deployments and Jobs to become Pods, for namespaces to get their
// default service account and root CA, for deleted namespaces and owners
// to take what they own with them, and for the Pods of a deleted Node
// (which no agent will stop) to go.
var Controllers = []string{
	"job-controller",
	"deployment-controller",
	"replicaset-controller",
	"serviceaccount-controller",
	"root-ca-certificate-publisher-controller",
	"namespace-controller",
	"garbage-collector-controller",
	"pod-garbage-collector-controller",
}

// readyTimeout bounds the wait for the API server to be ready: about 3 s
// on an idle machine, much more beside a build on two cores.
const readyTimeout = 3 * time.Minute

// plane is a running control plane.
type plane struct {
	dir    string // logs, keys, etcd's data
	config *rest.Config
	client *kubernetes.Clientset
	procs  []*process // in the order they started
}

// startPlane starts a control plane from the programs in directory bin,
// keeping its files in dir.
func startPlane(bin, dir string) (_ *plane, err error) {
	p := &plane{dir: dir}
	defer func() {
		if err != nil {
			p.stop()
		}
	}()
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdPort, peerPort, apiPort := ports[0], ports[1], ports[2]
	// The certificate also names what a Pod would reach the API server
	// by: the kubernetes Service's names and address, and the host as
	// Docker containers name it (where a test can forward the API server
	// to with testenv.StartProxyOn on the gateway of the containers'
	// network, for clients in Pods with KUBERNETES_SERVICE_HOST set to it).
	certs, err := tlscerttest.Write(dir, "127.0.0.1", "localhost", "host.docker.internal",
		"kubernetes", "kubernetes.default", "kubernetes.default.svc", "10.96.0.1")
	if err != nil {
		return nil, fmt.Errorf("the API server's certificate: %w", err)
	}
	saKey, saPub, err := writeServiceAccountKeys(dir)
	if err != nil {
		return nil, err
	}
	token := rand.Text()
	tokens, err := writeTokenFile(dir, token)
	if err != nil {
		return nil, err
	}
	ca, err := os.ReadFile(certs.CA)
	if err != nil {
		return nil, fmt.Errorf("read the API server's CA: %w", err)
	}
	p.config = &rest.Config{
		Host:            "https://127.0.0.1:" + strconv.Itoa(apiPort),
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: ca},
		QPS:             100,
		Burst:           200,
	}
	if p.client, err = kubernetes.NewForConfig(p.config); err != nil {
		return nil, fmt.Errorf("make a client: %w", err)
	}
	admin := filepath.Join(dir, "admin.kubeconfig")
	if err := writeKubeconfig(admin, p.config, ""); err != nil {
		return nil, err
	}

	if err := p.start(bin, "etcd",
		"-data-dir", filepath.Join(dir, "etcd"),
		"-client-port", strconv.Itoa(etcdPort),
		"-peer-port", strconv.Itoa(peerPort),
	); err != nil {
		return nil, err
	}
	if err := p.start(bin, "kube-apiserver",
		"--etcd-servers=http://127.0.0.1:"+strconv.Itoa(etcdPort),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(apiPort),
		"--tls-cert-file="+certs.Cert,
		"--tls-private-key-file="+certs.Key,
		"--cert-dir="+filepath.Join(dir, "apiserver-certs"),
		// A 127.0.0.1 advertise address is refused by the reconciler of
		// the kubernetes Service's endpoints; nothing here needs them.
		"--endpoint-reconciler-type=none",
		"--token-auth-file="+tokens,
		"--authorization-mode=RBAC",
		"--service-account-key-file="+saPub,
		"--service-account-signing-key-file="+saKey,
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-cluster-ip-range=10.96.0.0/16",
		"--allow-privileged=true",
		"--enable-priority-and-fairness=false",
		"--profiling=false",
	); err != nil {
		return nil, err
	}
	if err := p.waitReady(); err != nil {
		return nil, err
	}
	if err := p.start(bin, "kube-scheduler",
		"--kubeconfig="+admin,
		"--leader-elect=false",
		"--secure-port=0",
	); err != nil {
		return nil, err
	}
	if err := p.start(bin, "kube-controller-manager",
		"--kubeconfig="+admin,
		"--controllers="+strings.Join(Controllers, ","),
		"--leader-elect=false",
		"--secure-port=0",
		"--root-ca-file="+certs.CA,
		"--service-account-private-key-file="+saKey,
	); err != nil {
		return nil, err
	}
	return p, nil
}

// start starts the program name of directory bin as a part of p.
func (p *plane) start(bin, name string, args ...string) error {
	proc, err := startProcess(bin, p.dir, name, args...)
	if err != nil {
		return err
	}
	p.procs = append(p.procs, proc)
	return nil
}

// waitReady waits until the API server says it is ready, failing early if
// a program of p has exited.
func (p *plane) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	var last error
	for {
		if err := p.exited(); err != nil {
			return err
		}
		body, err := p.client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err == nil && string(body) == "ok" {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("the API server was not ready within %s (last: %v); its log ends:\n%s",
				readyTimeout, last, p.procs[len(p.procs)-1].tail(30))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// exited returns an error naming the programs of p that have exited.
func (p *plane) exited() error {
	var errs []error
	for _, proc := range p.procs {
		errs = append(errs, proc.exited())
	}
	return errors.Join(errs...)
}

// stop stops the programs of p, the last started first.
func (p *plane) stop() {
	for i := len(p.procs) - 1; i >= 0; i-- {
		p.procs[i].stop()
	}
}

// logs returns the last lines of each program's log.
func (p *plane) logs() string {
	var b strings.Builder
	for _, proc := range p.procs {
		fmt.Fprintf(&b, "--- %s (%s):\n%s\n", proc.name, proc.log, proc.tail(40))
	}
	return b.String()
}
