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
// honours, naming the field and its runner; the docker runner takes
// image pull secrets (Tusk secrets it pulls with) and NVIDIA GPUs, and
// refuses GPUs of another type.
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
				want := `field "` + field + `" needs the kube runner (tusk up --runner kube); this server runs the ` + name + ` runner`
				if field == "resource_limits.gpu" {
					want = `field "` + field + `" needs the kube or docker runner (tusk up --runner kube, or --runner docker for NVIDIA GPUs); this server runs the ` + name + ` runner`
				}
				if name == "docker" && (field == "transform.image_pull_secrets" || field == "resource_limits.gpu") {
					// The docker runner pulls with Tusk's secrets, and
					// gives containers NVIDIA GPUs.
					if _, err := c.CreatePipeline(ctx, []byte(spec), false, false, true); err != nil && (field == "resource_limits.gpu" || strings.Contains(err.Error(), want)) {
						t.Errorf("%s: %v, want it accepted by the docker runner", field, err)
					}
					continue
				}
				for _, dry := range []bool{false, true} {
					_, err := c.CreatePipeline(ctx, []byte(spec), false, false, dry)
					if !errors.Is(err, tusk.ErrInvalid) || !strings.Contains(err.Error(), want) {
						t.Errorf("%s (dry run %v): %v, want a refusal saying %q", field, dry, err, want)
					}
				}
			}
			if name == "docker" {
				amd := fmtSpec(base, "", `, "resource_limits": {"gpu": {"type": "amd.com/gpu", "number": 1}}`)
				want := `resource_limits.gpu.type is "amd.com/gpu": the docker runner gives containers NVIDIA GPUs only`
				if _, err := c.CreatePipeline(ctx, []byte(amd), false, false, false); !errors.Is(err, tusk.ErrInvalid) || !strings.Contains(err.Error(), want) {
					t.Errorf("GPUs of AMD's type: %v, want a refusal saying %q", err, want)
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
