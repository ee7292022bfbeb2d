package spec

import (
	"errors"
	"testing"

	"github.com/tuskdata/tusk/internal/tusk"
)

func TestParseWithDefaults(t *testing.T) {
	d, err := ParseDefaults([]byte(`{"create_pipeline_request": {"datumTries": 5, "resource_requests": {"memory": "1G"},
		"transform": {"image": "busybox:1"}, "output_branch": "out"}}`))
	if err != nil {
		t.Fatal(err)
	}
	ps, err := ParseWithDefaults([]byte(`pipeline: {name: a}
transform: {cmd: ["true"]}
input: {pfs: {repo: r, glob: "/*"}}
resource_requests: {cpu: 2}
output_branch: main
`), d)
	if err != nil {
		t.Fatal(err)
	}
	p := ps[0]
	if p.DatumTries != 5 || p.Transform.Image != "busybox:1" || len(p.Transform.Cmd) != 1 || p.OutputBranch != "main" {
		t.Errorf("merged spec: datum_tries %d, image %q, cmd %q, output_branch %q", p.DatumTries, p.Transform.Image, p.Transform.Cmd, p.OutputBranch)
	}
	if p.ResourceRequests == nil || p.ResourceRequests.Memory != 1e9 || p.ResourceRequests.CPU != 2 {
		t.Errorf("resource_requests should merge memory from the defaults and cpu from the spec: %+v", p.ResourceRequests)
	}
	for _, bad := range []string{`{"pipeline": {"name": "x"}}`, `{"datum_trys": 3}`, `[1, 2]`} {
		if _, err := ParseDefaults([]byte(bad)); !errors.Is(err, tusk.ErrInvalid) {
			t.Errorf("ParseDefaults(%s): %v, want invalid", bad, err)
		}
	}
}
