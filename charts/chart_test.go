// Package charts_test checks the Helm chart in charts/tusk: rendered by
// Helm itself (built from source in the tools/helm module, so that Helm
// and its Kubernetes libraries stay out of Tusk's go.mod) with the values
// a user would give, and refused with a reason where values cannot work
// together.
package charts_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/tuskdata/tusk/internal/cli"
	"github.com/tuskdata/tusk/internal/server"
)

// object is a Kubernetes object as the chart renders it.
type object map[string]any

func (o object) kind() string { return fmt.Sprint(o["kind"]) }
func (o object) name() string {
	m, _ := o["metadata"].(map[string]any)
	return fmt.Sprint(m["name"])
}

// get follows a path of map keys and list indexes through o.
func (o object) get(path ...any) any {
	var v any = map[string]any(o)
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// render runs helm template on the chart with values given as --set
// arguments, and returns the objects, or Helm's error output.
func render(t *testing.T, sets ...string) ([]object, error) {
	t.Helper()
	var args []string
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	out, err := helmTemplate(t, "rel", "data", args...)
	if err != nil {
		return nil, err
	}
	var objs []object
	dec := yaml.NewDecoder(bytes.NewReader(out))
	for {
		var o map[string]any // not object: yaml.v3 would give nested maps that type too
		err := dec.Decode(&o)
		if err == io.EOF {
			return objs, nil
		}
		if err != nil {
			t.Fatalf("helm's output is not YAML: %v", err)
		}
		if o != nil {
			objs = append(objs, object(o))
		}
	}
}

// helmTemplate runs helm template on the chart as release in namespace,
// with more arguments, and returns the manifests, or Helm's error output.
func helmTemplate(t *testing.T, release, namespace string, args ...string) ([]byte, error) {
	t.Helper()
	args = append([]string{"tool", "helm", "template", release, filepath.Join("..", "..", "charts", "tusk"), "--namespace", namespace}, args...)
	cmd := exec.Command("go", args...)
	cmd.Dir = filepath.Join("..", "tools", "helm")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("run helm: %v", err)
		}
		return nil, errors.New(stderr.String())
	}
	return stdout.Bytes(), nil
}

func find(t *testing.T, objs []object, kind, name string) object {
	t.Helper()
	for _, o := range objs {
		if o.kind() == kind && o.name() == name {
			return o
		}
	}
	var have []string
	for _, o := range objs {
		have = append(have, o.kind()+"/"+o.name())
	}
	t.Fatalf("no %s %s among %v", kind, name, have)
	return nil
}

// serverArgs returns the tusk up arguments of the server Deployment,
// after checking that tusk up has each flag they give.
func serverArgs(t *testing.T, objs []object) []string {
	t.Helper()
	var out []string
	for _, a := range find(t, objs, "Deployment", "rel-tusk").get("spec", "template", "spec", "containers", 0, "args").([]any) {
		out = append(out, fmt.Sprint(a))
	}
	var help, stderr bytes.Buffer
	if code := cli.Main(context.Background(), []string{"up", "--help"}, strings.NewReader(""), &help, &stderr); code != 0 {
		t.Fatalf("tusk up --help: exit %d: %s", code, stderr.String())
	}
	for _, a := range out[1:] {
		flag, _, _ := strings.Cut(a, "=")
		if !strings.Contains(help.String(), flag+" ") {
			t.Errorf("the chart gives tusk up %s, which tusk up --help does not know", flag)
		}
	}
	return out
}

func TestChartDefaults(t *testing.T) {
	objs, err := render(t)
	if err != nil {
		t.Fatalf("helm template with the default values:\n%s", err)
	}
	dep := find(t, objs, "Deployment", "rel-tusk")
	c := dep.get("spec", "template", "spec", "containers", 0)
	if img := fmt.Sprint(c.(map[string]any)["image"]); img != server.DefaultKubeImage() {
		t.Errorf("the server's image is %s, want %s (the kube runner's default, of the binary's version)", img, server.DefaultKubeImage())
	}
	args := serverArgs(t, objs)
	for _, want := range []string{"up", "--runner=kube", "--namespace=data", "--tls-cert=/tls/tls.crt", "--admin-token-file=/admin/token",
		"--server-name=rel-tusk.data.svc", "--kube-server-address=https://rel-tusk.data.svc:1650"} {
		if !slices.Contains(args, want) {
			t.Errorf("tusk up's arguments %q lack %s", args, want)
		}
	}
	if slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--metadata") || strings.HasPrefix(a, "--storage") }) {
		t.Errorf("without PostgreSQL and S3 the server uses its data volume, yet its arguments are %q", args)
	}
	// One server on a volume of its own: never two at once on it.
	if dep.get("spec", "strategy", "type") != "Recreate" {
		t.Errorf("a server on a data volume has strategy %v, want Recreate", dep.get("spec", "strategy"))
	}
	find(t, objs, "PersistentVolumeClaim", "rel-tusk-data")
	find(t, objs, "Service", "rel-tusk")
	tls := find(t, objs, "Secret", "rel-tusk-tls")
	for _, k := range []string{"tls.crt", "tls.key", "ca.crt"} {
		if tls.get("data", k) == nil {
			t.Errorf("the TLS secret has no %s", k)
		}
	}
	if tok := find(t, objs, "Secret", "rel-tusk-admin").get("data", "token"); tok == nil {
		t.Error("the chart made no admin token")
	}
	// Workers may not use the Kubernetes API; the server only in its namespace.
	if w := find(t, objs, "ServiceAccount", "rel-tusk-worker"); w.get("automountServiceAccountToken") != false {
		t.Error("workers' pods get a Kubernetes API token")
	}
	find(t, objs, "Role", "rel-tusk-runner")
	for _, o := range objs {
		if k := o.kind(); k == "ClusterRole" || k == "ClusterRoleBinding" {
			t.Errorf("the chart asks for cluster-wide rights: %s %s", k, o.name())
		}
	}
	sc := c.(map[string]any)["securityContext"].(map[string]any)
	if sc["readOnlyRootFilesystem"] != true || sc["allowPrivilegeEscalation"] != false {
		t.Errorf("the server's container security context: %v", sc)
	}
}

func TestChartSeveralServers(t *testing.T) {
	objs, err := render(t, "replicas=3", "postgres.existingSecret=pg", "s3.url=s3://bucket/tusk?region=eu-west-1", "s3.existingSecret=s3keys")
	if err != nil {
		t.Fatalf("helm template with PostgreSQL and S3:\n%s", err)
	}
	dep := find(t, objs, "Deployment", "rel-tusk")
	if r := dep.get("spec", "replicas"); fmt.Sprint(r) != "3" {
		t.Errorf("replicas %v, want 3", r)
	}
	args := serverArgs(t, objs)
	for _, want := range []string{"--metadata=$(TUSK_POSTGRES_DSN)", "--storage=s3://bucket/tusk?region=eu-west-1"} {
		if !slices.Contains(args, want) {
			t.Errorf("tusk up's arguments %q lack %s", args, want)
		}
	}
	env := dep.get("spec", "template", "spec", "containers", 0, "env").([]any)
	found := false
	for _, e := range env {
		m := e.(map[string]any)
		if m["name"] == "TUSK_POSTGRES_DSN" {
			found = fmt.Sprint(object(m).get("valueFrom", "secretKeyRef", "name")) == "pg"
		}
	}
	if !found {
		t.Errorf("the DSN does not come from secret pg: %v", env)
	}
	if dep.get("spec", "template", "spec", "volumes", 0, "emptyDir") == nil {
		t.Error("with PostgreSQL and S3 the data volume should be an emptyDir")
	}
	for _, o := range objs {
		if o.kind() == "PersistentVolumeClaim" {
			t.Errorf("a claim with PostgreSQL and S3: %s", o.name())
		}
	}
}

func TestChartTryItOut(t *testing.T) {
	objs, err := render(t, "postgres.inChart.enabled=true", "s3.inChart.enabled=true", "replicas=2")
	if err != nil {
		t.Fatalf("helm template with the in-chart stores:\n%s", err)
	}
	find(t, objs, "StatefulSet", "rel-tusk-postgres")
	find(t, objs, "StatefulSet", "rel-tusk-s3")
	dsn := find(t, objs, "Secret", "rel-tusk-postgres").get("data", "dsn")
	if dsn == nil {
		t.Fatal("no DSN for the in-chart PostgreSQL")
	}
	args := serverArgs(t, objs)
	if !slices.Contains(args, "--storage=s3://tusk/data?endpoint=http://rel-tusk-s3:7070&region=us-east-1") || !slices.Contains(args, "--create-bucket") {
		t.Errorf("the servers do not use the in-chart S3 server: %q", args)
	}
}

func TestChartRefusesWhatCannotWork(t *testing.T) {
	for _, c := range []struct {
		sets []string
		want string
	}{
		{[]string{"replicas=2"}, "replicas > 1 needs PostgreSQL"},
		{[]string{"replicas=2", "postgres.dsn=postgres://x@db/tusk"}, "replicas > 1 needs S3"},
		{[]string{"postgres.dsn=postgres://x@db/tusk", "postgres.existingSecret=pg"}, "not both"},
		{[]string{"s3.url=s3://b/p", "s3.accessKeyID=AK"}, "s3.secretAccessKey goes with s3.accessKeyID"},
	} {
		_, err := render(t, c.sets...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("helm template --set %s: %v, want an error saying %q", strings.Join(c.sets, " --set "), err, c.want)
		}
	}
}
