package node

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/tuskdata/tusk/internal/dockerengine"
)

// Config says how a node agent runs. Only Client is required.
type Config struct {
	Client kubernetes.Interface
	// Name of the Node; "kubenode-" and random hex if empty.
	Name string
	// Capacity of the node, allocatable in full: 4 CPUs, 8Gi of memory
	// and 110 pods unless set.
	CPU, Memory, Pods resource.Quantity
	// Network is the Docker network the pods join. If empty, the agent
	// makes a bridge network of its own and removes it when it stops.
	Network string
	// PauseImage runs each pod's sandbox with its `sleep`;
	// tusk-test/busybox:latest if empty.
	PauseImage string
	// APIServer is the address (host:port) of the API server on the
	// host; the client's if empty. Pods reach it through a forwarder on
	// the gateway, at KUBERNETES_SERVICE_HOST (host.docker.internal, a
	// name kubetest's certificate holds) and KUBERNETES_SERVICE_PORT, as
	// in-cluster clients expect.
	APIServer string
	// Engine is the Docker engine's socket; DOCKER_HOST's (unix://…) or
	// /var/run/docker.sock if empty.
	Engine string
	// Dir holds the pods' volumes; a temporary directory the agent
	// removes when it stops if empty.
	Dir    string
	Logger *slog.Logger
}

// Node is a running node agent.
type Node struct {
	// Name is the Node's name, and its kubernetes.io/hostname label.
	Name string
	// Gateway is the address of the host on the pods' network: a pod
	// reaches services of the host that listen there, and it is the
	// node's InternalIP and the pods' hostIP.
	Gateway string

	client     kubernetes.Interface
	docker     docker
	log        *slog.Logger
	network    string
	ownNetwork bool
	dir        string
	ownDir     bool
	pauseImage string

	cancel     context.CancelFunc
	serviceEnv []string // KUBERNETES_SERVICE_HOST and _PORT=, for every container

	mu      sync.Mutex
	pods    map[types.UID]*podWorker
	stopped bool
	wg      sync.WaitGroup
}

// Run runs a node agent until ctx ends, then removes every container it
// made and its Node.
func Run(ctx context.Context, cfg Config) error {
	n, err := New(ctx, cfg)
	if err != nil {
		return err
	}
	<-ctx.Done()
	return n.Stop()
}

// Start runs a node agent for the test with the client of a control
// plane (kubetest's clientset), and stops it at the test's cleanup. It
// returns once the Node is registered and Ready.
func Start(t testing.TB, client kubernetes.Interface) *Node {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	n, err := New(ctx, Config{Client: client, Dir: t.TempDir()})
	if err != nil {
		cancel()
		t.Fatalf("node agent: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := n.Stop(); err != nil {
			t.Errorf("node agent: %v", err)
		}
	})
	return n
}

// New starts a node agent outside a test (for the bench) and returns once
// its Node is registered and Ready; Stop stops it. It runs until ctx ends
// or Stop.
func New(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.Client == nil {
		return nil, errors.New("node agent: no client")
	}
	sock, err := dockerengine.Socket(cfg.Engine)
	if err != nil {
		return nil, fmt.Errorf("node agent: %w", err)
	}
	eng := dockerengine.New(sock)
	if err := eng.Negotiate(ctx); err != nil {
		eng.Close()
		return nil, fmt.Errorf("node agent: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	n := &Node{
		cancel: cancel, Name: cfg.Name, client: cfg.Client, docker: docker{eng}, log: cfg.Logger,
		network: cfg.Network, dir: cfg.Dir, pauseImage: cfg.PauseImage, pods: map[types.UID]*podWorker{},
	}
	if n.Name == "" {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		n.Name = "kubenode-" + hex.EncodeToString(b)
	}
	if n.log == nil {
		n.log = slog.Default()
	}
	n.log = n.log.With("node", n.Name)
	if n.pauseImage == "" {
		n.pauseImage = "tusk-test/busybox:latest"
	}
	if err := n.setUp(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("node agent %s: %w", n.Name, err), n.Stop())
	}
	if err := n.register(ctx, cfg); err != nil {
		return nil, errors.Join(fmt.Errorf("node agent %s: %w", n.Name, err), n.Stop())
	}
	if target := cmp.Or(cfg.APIServer, apiServerOf(cfg.Client)); target != "" {
		port, err := n.forward(ctx, target)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("node agent %s: %w", n.Name, err), n.Stop())
		}
		n.serviceEnv = []string{"KUBERNETES_SERVICE_HOST=host.docker.internal", "KUBERNETES_SERVICE_PORT=" + port}
	}
	n.watch(ctx)
	return n, nil
}

// setUp makes the agent's directory and network, and removes what agents
// that died left: those of dead processes, and those of the same name.
func (n *Node) setUp(ctx context.Context) error {
	if err := n.docker.removeOrphans(ctx); err != nil {
		return err
	}
	if n.dir == "" {
		dir, err := os.MkdirTemp("", "kubenode-")
		if err != nil {
			return fmt.Errorf("volumes directory: %w", err)
		}
		n.dir, n.ownDir = dir, true
	}
	if n.network == "" {
		n.network = "tusk-" + n.Name
		if err := n.docker.createNetwork(ctx, n.network, map[string]string{labelNode: n.Name, labelOwner: owner}); err != nil {
			return err
		}
		n.ownNetwork = true
	}
	gw, err := n.docker.gateway(ctx, n.network)
	if err != nil {
		return err
	}
	n.Gateway = gw
	ids, err := n.docker.list(ctx, labelNode+"="+n.Name)
	if err != nil {
		return err
	}
	return n.docker.remove(ctx, ids)
}

// register creates the Node, Ready and with its capacity, and its Lease,
// then renews the Lease and the Ready condition every resync.
func (n *Node) register(ctx context.Context, cfg Config) error {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    orDefault(cfg.CPU, "4"),
		corev1.ResourceMemory: orDefault(cfg.Memory, "8Gi"),
		corev1.ResourcePods:   orDefault(cfg.Pods, "110"),
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: map[string]string{
			corev1.LabelHostname: n.Name, corev1.LabelOSStable: "linux", corev1.LabelArchStable: runtime.GOARCH,
		}},
	}
	nodes := n.client.CoreV1().Nodes()
	created, err := nodes.Create(ctx, node, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		created, err = nodes.Get(ctx, n.Name, metav1.GetOptions{})
	}
	if err != nil {
		return fmt.Errorf("registering the node: %w", err)
	}
	created.Status = corev1.NodeStatus{
		Capacity: capacity, Allocatable: capacity,
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: n.Gateway}, {Type: corev1.NodeHostName, Address: n.Name}},
		NodeInfo: corev1.NodeSystemInfo{
			OperatingSystem: "linux", Architecture: runtime.GOARCH,
			KubeletVersion: "tusk-kubenode", ContainerRuntimeVersion: "docker://",
		},
		Conditions: nodeConditions(),
	}
	updated, err := nodes.UpdateStatus(ctx, created, metav1.UpdateOptions{})
	if err != nil {
		return fmt.Errorf("node status: %w", err)
	}
	// The API server's admission taints a new node not-ready; the node
	// lifecycle controller, which would lift the taint off a Ready node,
	// may not run.
	updated.Spec.Taints = slices.DeleteFunc(updated.Spec.Taints, func(t corev1.Taint) bool {
		return t.Key == corev1.TaintNodeNotReady || t.Key == corev1.TaintNodeUnreachable
	})
	if _, err := nodes.Update(ctx, updated, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("node taints: %w", err)
	}
	lease := &coordv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: n.Name, Namespace: corev1.NamespaceNodeLease, OwnerReferences: []metav1.OwnerReference{
			{APIVersion: "v1", Kind: "Node", Name: n.Name, UID: created.UID},
		}},
		Spec: coordv1.LeaseSpec{HolderIdentity: &n.Name, LeaseDurationSeconds: new(int32(40)), RenewTime: &metav1.MicroTime{Time: time.Now()}},
	}
	leases := n.client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	if _, err := leases.Create(ctx, lease, metav1.CreateOptions{}); apierrors.IsAlreadyExists(err) {
		_, err = leases.Update(ctx, lease, metav1.UpdateOptions{})
		if err != nil {
			return fmt.Errorf("node lease: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("node lease: %w", err)
	}
	n.go_(func() { n.heartbeat(ctx) })
	return nil
}

func orDefault(q resource.Quantity, def string) resource.Quantity {
	if q.IsZero() {
		return resource.MustParse(def)
	}
	return q
}

func nodeConditions() []corev1.NodeCondition {
	now := metav1.Now()
	cond := func(t corev1.NodeConditionType, s corev1.ConditionStatus, reason string) corev1.NodeCondition {
		return corev1.NodeCondition{Type: t, Status: s, Reason: reason, LastHeartbeatTime: now, LastTransitionTime: now}
	}
	return []corev1.NodeCondition{
		cond(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady"),
		cond(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory"),
		cond(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure"),
		cond(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID"),
	}
}

// heartbeat renews the node's Lease and its conditions' heartbeat, as a
// kubelet does, so that the node lifecycle controller keeps it Ready.
func (n *Node) heartbeat(ctx context.Context) {
	tick := time.NewTicker(resync)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		leases := n.client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
		lease, err := leases.Get(ctx, n.Name, metav1.GetOptions{})
		if err == nil {
			lease.Spec.RenewTime = &metav1.MicroTime{Time: time.Now()}
			_, err = leases.Update(ctx, lease, metav1.UpdateOptions{})
		}
		if err != nil && ctx.Err() == nil {
			n.log.Warn("node lease not renewed", "err", err)
		}
		node, err := n.client.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
		if err == nil {
			for i := range node.Status.Conditions {
				node.Status.Conditions[i].LastHeartbeatTime = metav1.Now()
			}
			_, err = n.client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{})
		}
		if err != nil && ctx.Err() == nil {
			n.log.Warn("node status not renewed", "err", err)
		}
	}
}

// watch follows the pods bound to the node and the deaths of their
// containers, and gives each to its pod's worker.
func (n *Node) watch(ctx context.Context) {
	factory := informers.NewSharedInformerFactoryWithOptions(n.client, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", n.Name).String()
	}))
	pods := factory.Core().V1().Pods().Informer()
	_, _ = pods.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { n.podChanged(ctx, obj, false) },
		UpdateFunc: func(_, obj any) { n.podChanged(ctx, obj, false) },
		DeleteFunc: func(obj any) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			n.podChanged(ctx, obj, true)
		},
	})
	factory.Start(ctx.Done())
	n.go_(func() { factory.Shutdown() })
	n.go_(func() {
		for ctx.Err() == nil {
			if err := n.docker.deaths(ctx, n.Name, n.poke); err != nil {
				n.log.Warn("docker events", "err", err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	})
}

// podChanged hands the pod to its worker, starting one for a pod new to
// the node.
func (n *Node) podChanged(ctx context.Context, obj any, deleted bool) {
	pod, ok := obj.(*corev1.Pod)
	if !ok || pod.Spec.NodeName != n.Name {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	w := n.pods[pod.UID]
	if w == nil {
		if deleted || n.stopped {
			return
		}
		w = newPodWorker(n, pod)
		n.pods[pod.UID] = w
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			w.run(ctx)
		}()
	}
	w.update(pod, deleted)
}

func (n *Node) poke(uid string) {
	n.mu.Lock()
	w := n.pods[types.UID(uid)]
	n.mu.Unlock()
	if w != nil {
		w.poke()
	}
}

func (n *Node) forget(uid types.UID) {
	n.mu.Lock()
	delete(n.pods, uid)
	n.mu.Unlock()
}

// go_ runs f in a goroutine Stop waits for.
func (n *Node) go_(f func()) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		f()
	}()
}

// Stop ends the agent's goroutines and waits for them, then removes
// every container the agent made, its network and directory, and its
// Node and Lease.
func (n *Node) Stop() error {
	n.cancel()
	n.mu.Lock()
	n.stopped = true
	n.mu.Unlock()
	n.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errs []error
	ids, err := n.docker.list(ctx, labelNode+"="+n.Name)
	if err == nil {
		err = n.docker.remove(ctx, ids)
	}
	errs = append(errs, err)
	if n.ownNetwork {
		errs = append(errs, n.docker.removeNetwork(ctx, n.network))
	}
	if n.ownDir {
		errs = append(errs, os.RemoveAll(n.dir))
	}
	err = n.client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Delete(ctx, n.Name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		errs = append(errs, fmt.Errorf("deleting the node lease: %w", err))
	}
	err = n.client.CoreV1().Nodes().Delete(ctx, n.Name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		errs = append(errs, fmt.Errorf("deleting the node: %w", err))
	}
	n.docker.Close()
	return errors.Join(errs...)
}

// Logs returns what the container of the pod (namespace/name) wrote to
// its standard output and error, from every run of it: kubectl logs
// needs a kubelet's API, which the agent does not serve.
func (n *Node) Logs(ctx context.Context, namespace, pod, container string) (string, error) {
	ids, err := n.docker.list(ctx, labelPod+"="+namespace+"/"+pod, labelContainer+"="+container)
	if err != nil {
		return "", err
	}
	if len(ids) == 0 {
		return "", fmt.Errorf("no container %s of pod %s/%s on node %s", container, namespace, pod, n.Name)
	}
	var out strings.Builder
	if err := n.docker.Logs(ctx, &out, ids[0], "all", 64<<20); err != nil {
		return "", fmt.Errorf("logs of container %s of pod %s/%s: %w", container, namespace, pod, err)
	}
	return out.String(), nil
}

// imageError is a container's image that cannot be had, with the reason
// a kubelet gives.
type imageError struct {
	reason string
	err    error
}

func (e *imageError) Error() string { return e.err.Error() }
func (e *imageError) Unwrap() error { return e.err }

// ensureImage makes sure the engine has the container's image, pulling
// it as the pull policy says, and returns its ID as a kubelet reports it
// (image.kubeletID). Under Always, an image the engine built or loaded
// itself (it has no registry digest) runs as it is, as with Tusk's docker
// runner: a kubelet would pull it, and fail without a registry.
func (n *Node) ensureImage(ctx context.Context, c *corev1.Container) (string, error) {
	img, err := n.docker.image(ctx, c.Image)
	present := err == nil
	fromRegistry := present && len(img.RepoDigests) > 0
	switch {
	case c.ImagePullPolicy == corev1.PullNever && !present:
		return "", &imageError{"ErrImageNeverPull", fmt.Errorf("image %s is not present with pull policy Never", c.Image)}
	case !present && c.ImagePullPolicy != corev1.PullNever, c.ImagePullPolicy == corev1.PullAlways && fromRegistry:
		if err := n.docker.pull(ctx, c.Image); err != nil {
			return "", &imageError{"ErrImagePull", fmt.Errorf("image %s: %w", c.Image, err)}
		}
		if img, err = n.docker.image(ctx, c.Image); err != nil {
			return "", &imageError{"ErrImagePull", fmt.Errorf("image %s, pulled: %w", c.Image, err)}
		}
	}
	return img.kubeletID(c.Image), nil
}
