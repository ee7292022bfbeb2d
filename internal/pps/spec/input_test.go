package spec

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tuskdata/tusk/internal/tusk"
)

func pfs(name string) *Input { return &Input{PFS: &PFSInput{Name: name, Repo: name, Glob: "/*"}} }

// names lists the input names of a tree in order, with brackets around the
// inputs of each combination.
func names(in *Input) string {
	if in.PFS != nil || in.Cron != nil {
		return InputName(in)
	}
	s := "("
	for i, child := range in.Children() {
		if i > 0 {
			s += " "
		}
		s += names(child)
	}
	return s + ")"
}

func TestSortInput(t *testing.T) {
	tests := []struct {
		in   *Input
		want string
	}{
		{&Input{Cross: []*Input{pfs("b"), pfs("a"), pfs("c")}}, "(a b c)"},
		{&Input{Union: []*Input{pfs("b"), pfs("a")}}, "(a b)"},
		{&Input{Join: []*Input{pfs("z"), pfs("y")}}, "(y z)"},
		{&Input{Group: []*Input{pfs("z"), pfs("y")}}, "(y z)"},
		{pfs("a"), "a"},
		// Children are sorted first, so a combination sorts by its new first input.
		{&Input{Cross: []*Input{
			pfs("m"),
			{Union: []*Input{pfs("x"), pfs("c")}},
			{Cron: &CronInput{Name: "d"}},
		}}, "((c x) d m)"},
	}
	for _, tt := range tests {
		SortInput(tt.in)
		if got := names(tt.in); got != tt.want {
			t.Errorf("SortInput gave %s, want %s", got, tt.want)
		}
	}
	// The sort is stable: a union's sides may share a name.
	stable := &Input{Union: []*Input{
		{PFS: &PFSInput{Name: "a", Repo: "second"}},
		{PFS: &PFSInput{Name: "a", Repo: "first"}},
	}}
	SortInput(stable)
	if got := stable.Union[0].PFS.Repo; got != "second" {
		t.Errorf("SortInput reordered inputs of equal names: first is %q", got)
	}
	SortInput(nil)
}

func TestWalk(t *testing.T) {
	in := &Input{Cross: []*Input{pfs("a"), {Join: []*Input{pfs("b"), pfs("c")}}}}
	var got []string
	Walk(in, func(in *Input) { got = append(got, names(in)) })
	want := []string{"a", "b", "c", "(b c)", "(a (b c))"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Walk order mismatch (-want +got):\n%s", diff)
	}
}

func TestValidateDefaults(t *testing.T) {
	p := &Pipeline{
		Pipeline:        PipelineRef{Name: "scrape"},
		Transform:       &Transform{Cmd: []string{"sh"}},
		ParallelismSpec: &ParallelismSpec{Constant: 0},
		Input: &Input{Cross: []*Input{
			{PFS: &PFSInput{Repo: "urls", Glob: "*/"}},
			{Cron: &CronInput{Name: "tick", Spec: "@every 1m"}},
		}},
	}
	if err := Validate(p); err != nil {
		t.Fatal(err)
	}
	want := &Pipeline{
		Pipeline:        PipelineRef{Name: "scrape"},
		Transform:       &Transform{Image: DefaultImage, Cmd: []string{"sh"}},
		ParallelismSpec: &ParallelismSpec{Constant: 1},
		Input: &Input{Cross: []*Input{
			{PFS: &PFSInput{Name: "urls", Repo: "urls", RepoType: "user", Branch: "master", Glob: "/*"}},
			{Cron: &CronInput{Name: "tick", Repo: "scrape_tick", Spec: "@every 1m"}},
		}},
		DatumTries:    3,
		OutputBranch:  "master",
		ReprocessSpec: ReprocessUntilSuccess,
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("Validate defaults mismatch (-want +got):\n%s", diff)
	}
}

func TestParseYAMLKeepsStrings(t *testing.T) {
	ps, err := Parse([]byte(`
pipeline: {name: flags}
transform:
  cmd: [sh]
  env: {DEBUG: yes, VERBOSE: "on", LEVEL: "3"}
input: {pfs: {repo: no, glob: /}}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"DEBUG": "yes", "VERBOSE": "on", "LEVEL": "3"}
	if diff := cmp.Diff(want, ps[0].Transform.Env); diff != "" {
		t.Errorf("env mismatch (-want +got):\n%s", diff)
	}
	if got := ps[0].Input.PFS.Repo; got != "no" {
		t.Errorf("repo = %q, want %q", got, "no")
	}
}

func TestParseYAMLFlowStyle(t *testing.T) {
	ps, err := Parse([]byte(`{pipeline: {name: flow}, transform: {cmd: [sh]}, input: {pfs: {repo: a, glob: /}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := ps[0].Name(); got != "flow" {
		t.Errorf("name = %q, want flow", got)
	}
}

func TestValidateError(t *testing.T) {
	err := Validate(&Pipeline{Transform: &Transform{Cmd: []string{"sh"}}})
	want := `pipeline spec: field "pipeline.name" is missing; give it a name made of letters, digits, "_" and "-"`
	if err == nil || err.Error() != want {
		t.Errorf("Validate error = %v, want %s", err, want)
	}
	if !errors.Is(err, tusk.ErrInvalid) {
		t.Errorf("Validate error %v is not of kind invalid", err)
	}
}
