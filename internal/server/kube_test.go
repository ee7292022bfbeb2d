package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tuskdata/tusk/internal/tusk"
)

// TestKubeRunnerSelected: --runner kube needs a server address for the
// pods, and with one it connects through the kubeconfig to the cluster's
// API (here a stand-in that answers the runner's first question) in the
// kubeconfig's namespace.
func TestKubeRunnerSelected(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var asked []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"kind":"DeploymentList","apiVersion":"apps/v1","metadata":{},"items":[]}`)
	}))
	defer api.Close()
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "`+api.URL+`"}}]
users: [{name: u, user: {token: "t"}}]
contexts: [{name: x, context: {cluster: c, user: u, namespace: pipelines}}]
current-context: x
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Config{DataDir: t.TempDir(), Storage: "mem://", Runner: "kube", Kube: KubeConfig{Kubeconfig: kubeconfig},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if s, err := New(ctx, cfg); err == nil {
		s.Close()
		t.Fatal("the kube runner started with no address for its pods to reach the server")
	} else if !strings.Contains(err.Error(), "--kube-server-address") || tusk.KindOf(err) != tusk.KindInvalid {
		t.Errorf("without an address: %v, want an invalid error naming --kube-server-address", err)
	}
	cfg.DataDir = t.TempDir()
	cfg.Kube.ServerAddress = "https://tusk.pipelines.svc:1650"
	cfg.Kube.ServerCAFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(cfg.Kube.ServerCAFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := New(ctx, cfg); err == nil {
		s.Close()
		t.Fatal("the kube runner started with a server CA file that holds no certificate")
	} else if !strings.Contains(err.Error(), cfg.Kube.ServerCAFile) {
		t.Errorf("with a bad CA file: %v, want an error naming it", err)
	}
	cfg.DataDir = t.TempDir()
	cfg.Kube.ServerCAFile = ""
	s, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.runner.Name(); got != "kube" {
		t.Errorf("runner %s, want kube", got)
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(asked) == 0 || asked[0] != "/apis/apps/v1/namespaces/pipelines/deployments" {
		t.Errorf("the API was asked %v, want the Deployments of namespace pipelines first", asked)
	}
}
