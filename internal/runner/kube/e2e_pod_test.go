package kube_test

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tuskdata/tusk/internal/kubetest"
	"github.com/tuskdata/tusk/internal/kubetest/node"
	"github.com/tuskdata/tusk/internal/server"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
	"github.com/tuskdata/tusk/internal/tusktest"
)

// TestE2EPodFields runs a pipeline whose spec places and shapes its
// pods on a real control plane whose node runs them on the local Docker
// engine: the node is tainted, so only a pod with the spec's toleration
// runs there; the pods carry the spec's node selector, priority class,
// pull secret and patches; and the code reads a secret of Tusk's as
// files at its mount_path and as a variable.
func TestE2EPodFields(t *testing.T) {
	testenv.Require(t, "docker", "TUSK_TEST_DOCKER")
	cp := kubetest.Start(t)
	n := node.Start(t, cp.Client)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	nd, err := cp.Client.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nd.Spec.Taints = []corev1.Taint{{Key: "tusk-test/dedicated", Value: "train", Effect: corev1.TaintEffectNoSchedule}}
	if _, err := cp.Client.CoreV1().Nodes().Update(ctx, nd, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	pc := &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "tusk-test-" + randomSuffix()}, Value: 1000}
	if _, err := cp.Client.SchedulingV1().PriorityClasses().Create(ctx, pc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cp.Client.SchedulingV1().PriorityClasses().Delete(context.Background(), pc.Name, metav1.DeleteOptions{})
	})
	tuskImage, userImage := testImages(t)

	fwd := newForwarder(t, n.Gateway+":0")
	_, c, _ := tusktest.StartServer(t, server.Config{DataDir: t.TempDir(), Runner: "kube", ServerNames: []string{n.Gateway},
		Kube: server.KubeConfig{Kubeconfig: cp.Kubeconfig, Namespace: cp.Namespace, Image: tuskImage, ServerAddress: "http://" + fwd.addr()}})
	fwd.to(strings.TrimPrefix(c.Address(), "http://"))
	t.Cleanup(func() {
		if t.Failed() {
			logPods(t, cp, n)
		}
	})

	if _, err := c.CreateSecret(ctx, []byte(`{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"},
		"stringData": {"user": "tr-user-42", "password": "hunter2-long"}}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateRepo(ctx, "in", ""); err != nil {
		t.Fatal(err)
	}
	spec := `{"pipeline": {"name": "train"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"image": "` + userImage + `", "image_pull_secrets": ["regcred"],
			"cmd": ["sh", "-c", "cat /etc/creds/user /etc/creds/password > /pfs/out/files; echo $PASSWORD > /pfs/out/env; echo $PATCHED > /pfs/out/patched; echo user $(cat /etc/creds/user) >&2"],
			"secrets": [{"name": "creds", "mount_path": "/etc/creds"}, {"name": "creds", "key": "password", "env_var": "PASSWORD"}]},
		"scheduling_spec": {"node_selector": {"kubernetes.io/hostname": "` + n.Name + `"}, "priority_class_name": "` + pc.Name + `"},
		"tolerations": [{"key": "tusk-test/dedicated", "operator": "EQUAL", "value": "train", "effect": "NO_SCHEDULE"}],
		"pod_spec": "{\"hostname\": \"trainer\"}",
		"pod_patch": [{"op": "add", "path": "/containers/0/env/-", "value": {"name": "PATCHED", "value": "yes"}}]}`
	if _, err := c.CreatePipeline(ctx, []byte(spec), false, false, false); err != nil {
		t.Fatal(err)
	}
	commit := tusktest.Put(ctx, t, c, "in", "/a", "x")
	if _, err := c.WaitCommit(ctx, commit.ID); err != nil {
		t.Fatalf("wait for the job: %v", err)
	}
	for file, want := range map[string]string{"files": "tr-user-42hunter2-long", "env": "hunter2-long", "patched": "yes"} {
		if got := strings.TrimSpace(read(ctx, t, c, "train@master:/"+file)); got != want {
			t.Errorf("train@master:/%s = %q, want %q", file, got, want)
		}
	}

	pods, err := cp.Client.CoreV1().Pods(cp.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "tusk.dev/pipeline=train"})
	if err != nil || len(pods.Items) != 1 {
		t.Fatalf("pods %v (%v), want 1", pods, err)
	}
	pod := pods.Items[0].Spec
	if pod.NodeName != n.Name || pod.NodeSelector["kubernetes.io/hostname"] != n.Name || pod.PriorityClassName != pc.Name ||
		pod.Priority == nil || *pod.Priority != 1000 || pod.Hostname != "trainer" ||
		len(pod.ImagePullSecrets) != 1 || pod.ImagePullSecrets[0].Name != "regcred" {
		t.Errorf("pod on %q: node selector %v, priority class %q (%v), hostname %q, pull secrets %v",
			pod.NodeName, pod.NodeSelector, pod.PriorityClassName, pod.Priority, pod.Hostname, pod.ImagePullSecrets)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("the worker pod gets the API token")
	}
	tolerated := false
	for _, tl := range pod.Tolerations {
		tolerated = tolerated || tl.Key == "tusk-test/dedicated" && tl.Operator == corev1.TolerationOpEqual && tl.Value == "train" && tl.Effect == corev1.TaintEffectNoSchedule
	}
	if !tolerated {
		t.Errorf("tolerations %+v", pod.Tolerations)
	}
	var logs []string
	if err := c.Logs(ctx, "train", "", "", false, func(l tusk.LogLine) error {
		logs = append(logs, l.Message)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if all := strings.Join(logs, "\n"); !strings.Contains(all, "user [redacted]") || strings.Contains(all, "tr-user-42") {
		t.Errorf("the code printed a key of a secret mounted as files, and the logs say:\n%s", all)
	}
	if err := c.DeletePipeline(ctx, "train", false); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, time.Minute, "the pipeline's Secrets are gone", func() bool {
		list, err := cp.Client.CoreV1().Secrets(cp.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "tusk.dev/pipeline=train"})
		return err == nil && len(list.Items) == 0
	})
}
