package server

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// TestPodFieldsNeedKube: a server whose runner has no pods refuses, at
// create time and in a dry run, each spec field only the kube runner
// honours, naming the field and its runner; on docker, an image pull
// secret says how that runner pulls instead.
func TestPodFieldsNeedKube(t *testing.T) {
	runners := []string{"process"}
	if os.Getenv("TUSK_TEST_DOCKER") != "" {
		runners = append(runners, "docker")
	}
	for _, name := range runners {
		t.Run(name, func(t *testing.T) {
			cfg := Config{Runner: name}
			if name == "docker" {
				// The docker runner takes only a static worker binary,
				// which the test binary is not under the race detector.
				bin, cleanup, err := testenv.BuildBinary()
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(cleanup)
				cfg.WorkerBinary = bin
			}
			_, addr, token := startTestServer(t, cfg)
			c, err := client.New(addr, client.WithToken(token))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if _, err := c.CreateRepo(ctx, "in", ""); err != nil {
				t.Fatal(err)
			}
			if _, err := c.CreateSecret(ctx, []byte(`{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"}, "stringData": {"k": "v"}}`)); err != nil {
				t.Fatal(err)
			}
			base := `{"pipeline": {"name": "p"}, "input": {"pfs": {"repo": "in", "glob": "/*"}}, "transform": {"cmd": ["true"]%s}%s}`
			for field, spec := range map[string]string{
				"tolerations":                     fmtSpec(base, "", `, "tolerations": [{"key": "k", "operator": "EXISTS"}]`),
				"scheduling_spec.node_selector":   fmtSpec(base, "", `, "scheduling_spec": {"node_selector": {"disk": "ssd"}}`),
				"resource_limits.gpu":             fmtSpec(base, "", `, "resource_limits": {"gpu": {"number": 1}}`),
				"pod_patch":                       fmtSpec(base, "", `, "pod_patch": "[]"`),
				"transform.image_pull_secrets":    fmtSpec(base, `, "image_pull_secrets": ["regcred"]`, ""),
				"transform.secrets[0].mount_path": fmtSpec(base, `, "secrets": [{"name": "creds", "mount_path": "/creds"}]`, ""),
			} {
				for _, dry := range []bool{false, true} {
					_, err := c.CreatePipeline(ctx, []byte(spec), false, false, dry)
					want := `field "` + field + `" needs the kube runner (tusk up --runner kube); this server runs the ` + name + ` runner`
					if !errors.Is(err, tusk.ErrInvalid) || !strings.Contains(err.Error(), want) {
						t.Errorf("%s (dry run %v): %v, want a refusal saying %q", field, dry, err, want)
					}
					if name == "docker" && field == "transform.image_pull_secrets" && err != nil && !strings.Contains(err.Error(), "docker login") {
						t.Errorf("%s: %v, want a hint at docker login", field, err)
					}
				}
			}
			if _, err := c.InspectPipeline(ctx, "p"); !errors.Is(err, tusk.ErrNotFound) {
				t.Errorf("inspect the refused pipeline: %v, want not found", err)
			}
		})
	}
}

func fmtSpec(base, transform, top string) string {
	return strings.Replace(strings.Replace(base, "%s", transform, 1), "%s", top, 1)
}
