package kube_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/kubetest"
	"github.com/tuskdata/tusk/internal/kubetest/node"
	"github.com/tuskdata/tusk/internal/server"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
	"github.com/tuskdata/tusk/internal/tusktest"
)

// TestE2EPipelineOnPods runs a server with --runner kube against a real
// control plane whose node runs pods on the local Docker engine: the
// pipeline's workers are the pods of a Deployment (Tusk's FROM scratch
// image in the init container, a busybox image running the copied
// binary), reaching the server through the node's gateway; a commit's job
// succeeds; its worker pods killed mid-job, the Deployment's new pods run
// the datum again; deleting the pipeline deletes its Deployment.
func TestE2EPipelineOnPods(t *testing.T) {
	testenv.Require(t, "docker", "TUSK_TEST_DOCKER")
	cp := kubetest.Start(t)
	n := node.Start(t, cp.Client)
	untaint(t, cp, n.Name)
	tuskImage, userImage := testImages(t)
	// The pipeline's image comes from a registry, as on a cluster: its
	// digest is what jobs record.
	userImage, digest := pushImage(t, userImage)

	fwd := newForwarder(t, n.Gateway+":0")
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	// A datum of a worker killed goes to another after a short lease.
	_, c, _ := tusktest.StartServer(t, server.Config{DataDir: t.TempDir(), Runner: "kube", ServerNames: []string{n.Gateway}, DatumLease: 5 * time.Second,
		Kube: server.KubeConfig{Kubeconfig: cp.Kubeconfig, Namespace: cp.Namespace, Image: tuskImage, ServerAddress: "http://" + fwd.addr()}})
	fwd.to(strings.TrimPrefix(c.Address(), "http://"))

	if _, err := c.CreateRepo(ctx, "words", ""); err != nil {
		t.Fatal(err)
	}
	spec := `{"pipeline": {"name": "wc"}, "input": {"pfs": {"repo": "words", "glob": "/*"}},
		"parallelism_spec": {"constant": 2},
		"transform": {"image": "` + userImage + `", "cmd": ["sh", "-c", "case $words in *slow*) sleep 5;; esac; wc -w < $words > /pfs/out/$(basename $words)"]}}`
	if _, err := c.CreatePipeline(ctx, []byte(spec), false, false, false); err != nil {
		t.Fatal(err)
	}
	run := func(files ...string) {
		t.Helper()
		commit := tusktest.Put(ctx, t, c, "words", files...)
		if _, err := c.WaitCommit(ctx, commit.ID); err != nil {
			t.Fatalf("wait for the job of %v: %v", files, err)
		}
		for i := 0; i+1 < len(files); i += 2 {
			want := fmt.Sprint(len(strings.Fields(files[i+1])))
			if got := strings.TrimSpace(read(ctx, t, c, "wc@master:"+files[i])); got != want {
				t.Errorf("wc@master:%s = %q, want %q", files[i], got, want)
			}
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			logPods(t, cp, n)
		}
	})
	run("/a.txt", "one two three\n", "/b.txt", "four five\n")
	// The job and its datums record the digest of the image the worker
	// pods ran, which their node's kubelet reported.
	js, err := c.ListJobs(ctx, "wc", "", 1)
	if err != nil || len(js) != 1 || js[0].ImageDigest != digest {
		t.Errorf("jobs %+v (%v): want one whose image digest is %s", js, err, digest)
	}
	if err == nil && len(js) == 1 {
		c.ListDatums(ctx, "wc", js[0].ID, "", func(d tusk.DatumInfo) error {
			if d.ImageDigest != digest {
				t.Errorf("datum %s: image digest %q, want %s", d.ID, d.ImageDigest, digest)
			}
			return nil
		})
	}

	deps, err := cp.Client.AppsV1().Deployments(cp.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(deps.Items) != 1 || *deps.Items[0].Spec.Replicas != 2 {
		t.Fatalf("Deployments %v, want one of 2 replicas", deps.Items)
	}
	sel := metav1.FormatLabelSelector(deps.Items[0].Spec.Selector)

	// The worker pods die mid-job, as in a crash: the Deployment's new
	// pods run the datum again.
	commit := tusktest.Put(ctx, t, c, "words", "/slow.txt", "six seven eight nine\n")
	testenv.Eventually(t, 2*time.Minute, "the datum of slow.txt runs", func() bool {
		js, err := c.ListJobs(ctx, "wc", "", 1)
		if err != nil || len(js) == 0 {
			return false
		}
		running := false
		c.ListDatums(ctx, "wc", js[0].ID, tusk.DatumRunning, func(tusk.DatumInfo) error {
			running = true
			return nil
		})
		return running
	})
	pods, err := cp.Client.CoreV1().Pods(cp.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		t.Fatal(err)
	}
	killed, killedNames := map[string]bool{}, map[string]bool{}
	now := int64(0)
	for _, p := range pods.Items {
		killed[string(p.UID)], killedNames[p.Name] = true, true
		if err := cp.Client.CoreV1().Pods(cp.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &now}); err != nil {
			t.Fatal(err)
		}
	}
	testenv.Eventually(t, 2*time.Minute, "2 new worker pods run", func() bool {
		pods, err := cp.Client.CoreV1().Pods(cp.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
		if err != nil {
			return false
		}
		running := 0
		for _, p := range pods.Items {
			if !killed[string(p.UID)] && p.Status.Phase == corev1.PodRunning {
				running++
			}
		}
		return running == 2
	})
	if _, err := c.WaitCommit(ctx, commit.ID); err != nil {
		t.Fatalf("wait for the job of slow.txt: %v", err)
	}
	if got := strings.TrimSpace(read(ctx, t, c, "wc@master:/slow.txt")); got != "4" {
		t.Errorf("wc@master:/slow.txt = %q after its workers died, want 4", got)
	}
	js, err = c.ListJobs(ctx, "wc", "", 1)
	if err != nil || len(js) == 0 {
		t.Fatalf("list jobs: %v %v", js, err)
	}
	var slow []tusk.DatumInfo
	if err := c.ListDatums(ctx, "wc", js[0].ID, "", func(d tusk.DatumInfo) error {
		if len(d.Inputs) == 1 && d.Inputs[0].Path == "/slow.txt" {
			slow = append(slow, d)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(slow) != 1 || slow[0].State != tusk.DatumSuccess || killedNames[slow[0].Worker] || slow[0].Worker == "" {
		t.Errorf("the datum of slow.txt: %+v; want one success, by a worker other than the killed %v", slow, killedNames)
	}

	if err := c.DeletePipeline(ctx, "wc", false); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, time.Minute, "the pipeline's Deployment and pods are gone", func() bool {
		deps, err1 := cp.Client.AppsV1().Deployments(cp.Namespace).List(ctx, metav1.ListOptions{})
		pods, err2 := cp.Client.CoreV1().Pods(cp.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
		return err1 == nil && err2 == nil && len(deps.Items) == 0 && len(pods.Items) == 0
	})
}

// untaint removes the taints of a Node: the API server taints a new
// Node not-ready until a kubelet, or a node lifecycle controller, says
// otherwise, and the node agent does neither.
func untaint(t *testing.T, cp *kubetest.ControlPlane, name string) {
	t.Helper()
	ctx := context.Background()
	nd, err := cp.Client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nd.Spec.Taints = nil
	if _, err := cp.Client.CoreV1().Nodes().Update(ctx, nd, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("remove the taints of node %s: %v", name, err)
	}
}

// logPods logs the state of the namespace's pods and the end of their
// containers' logs.
func logPods(t *testing.T, cp *kubetest.ControlPlane, n *node.Node) {
	ctx := context.Background()
	pods, err := cp.Client.CoreV1().Pods(cp.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Logf("list pods: %v", err)
		return
	}
	for _, p := range pods.Items {
		t.Logf("pod %s on %q: %s %+v, init %+v, containers %+v", p.Name, p.Spec.NodeName, p.Status.Phase, p.Status.Conditions, p.Status.InitContainerStatuses, p.Status.ContainerStatuses)
		for _, c := range append(p.Spec.InitContainers, p.Spec.Containers...) {
			logs, err := n.Logs(ctx, cp.Namespace, p.Name, c.Name)
			t.Logf("pod %s, container %s logs (%v):\n%s", p.Name, c.Name, err, logs)
		}
	}
}

func read(ctx context.Context, t *testing.T, c *client.Client, ref string) string {
	t.Helper()
	rc, _, err := c.GetFile(ctx, ref, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// forwarder forwards the connections it accepts to an address set once
// it is known: the pods' way to a server of the test on loopback, or on
// a Unix socket.
type forwarder struct {
	ln     net.Listener
	target atomic.Pointer[[2]string] // network, address
}

func newForwarder(t *testing.T, listen string) *forwarder {
	t.Helper()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		t.Fatal(err)
	}
	f := &forwarder{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go f.forward(conn)
		}
	}()
	return f
}

func (f *forwarder) addr() string { return f.ln.Addr().String() }

// to forwards to a TCP address.
func (f *forwarder) to(target string) { f.toNet("tcp", target) }

// toNet forwards to an address of network ("tcp", "unix").
func (f *forwarder) toNet(network, address string) { f.target.Store(&[2]string{network, address}) }

func (f *forwarder) forward(conn net.Conn) {
	defer conn.Close()
	target := f.target.Load()
	if target == nil {
		return
	}
	up, err := net.Dial(target[0], target[1])
	if err != nil {
		return
	}
	defer up.Close()
	go func() {
		io.Copy(up, conn)
		up.(interface{ CloseWrite() error }).CloseWrite()
	}()
	io.Copy(conn, up)
}

// randomSuffix names a run's images.
func randomSuffix() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// testImages builds Tusk's image from this tree and tags the test's
// busybox image for the pipelines, both under a tag of their own (not
// latest, which the pull policy would pull), removed when t ends.
func testImages(t *testing.T) (tuskImage, userImage string) {
	t.Helper()
	suffix := randomSuffix()
	tuskImage = buildTuskImage(t, "tusk-test/kube-tusk:"+suffix)
	userImage = "tusk-test/busybox:kube-" + suffix
	docker(t, "tag", "tusk-test/busybox:latest", userImage)
	t.Cleanup(func() { exec.Command("docker", "rmi", userImage).Run() })
	return tuskImage, userImage
}

// pushImage pushes image to a registry of the test's and returns its
// reference there and its digest (NAME@sha256:…) as the engine has it.
func pushImage(t *testing.T, image string) (ref, digest string) {
	t.Helper()
	repo := testenv.StartRegistry(t, "", "") + "/tusk-test/busybox"
	_, tag, _ := strings.Cut(image, ":")
	ref = repo + ":" + tag
	docker(t, "tag", image, ref)
	t.Cleanup(func() { exec.Command("docker", "rmi", ref).Run() })
	docker(t, "push", "--quiet", ref)
	for _, d := range strings.Fields(docker(t, "image", "inspect", "--format", "{{range .RepoDigests}}{{.}} {{end}}", ref)) {
		if strings.HasPrefix(d, repo+"@sha256:") {
			return ref, d
		}
	}
	t.Fatalf("no digest of %s after pushing it", repo)
	return "", ""
}

// buildTuskImage builds Tusk's image as the repository's Dockerfile does,
// FROM scratch with the static binary at /tusk, and removes it when t
// ends.
func buildTuskImage(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	bin, cleanup, err := testenv.BuildBinary()
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tusk"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY tusk /tusk\nUSER 65532:65532\nENTRYPOINT [\"/tusk\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("docker", "build", "--quiet", "-t", name, dir)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", "--force", name).Run() })
	return name
}

func docker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}
