package datum

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/pps/spec"
)

// repos is a Lister over fixed file lists, keyed by repo name.
type repos map[string][]File

func (r repos) Files(in *spec.PFSInput) ([]File, error) {
	files, ok := r[in.Repo]
	if !ok {
		return nil, fmt.Errorf("repo %q not found", in.Repo)
	}
	return files, nil
}

// files makes files with the given paths, whose hash is "h" + path.
func files(paths ...string) []File {
	fs := make([]File, len(paths))
	for i, p := range paths {
		fs[i] = File{Path: p, Hash: "h" + p, Size: int64(len(p))}
	}
	return fs
}

// pfsIn is a PFS input as spec.Validate leaves it.
func pfsIn(name, repo, glob string) *spec.Input {
	return &spec.Input{PFS: &spec.PFSInput{
		Name: name, Repo: repo, RepoType: spec.UserRepoType, Branch: "master", Commit: "c-" + repo, Glob: glob,
	}}
}

// keyed is pfsIn with join_on and group_by templates and outer_join.
func keyed(name, repo, glob, joinOn, groupBy string, outer bool) *spec.Input {
	in := pfsIn(name, repo, glob)
	in.PFS.JoinOn, in.PFS.GroupBy, in.PFS.OuterJoin = joinOn, groupBy, outer
	return in
}

// render shows each datum as the concatenated paths of its inputs, as
// Pachyderm's iterator tests do.
func render(datums []Datum) []string {
	var out []string
	for _, d := range datums {
		var b strings.Builder
		for _, in := range d.Inputs {
			b.WriteString(strings.TrimSuffix(in.Path, "/"))
		}
		out = append(out, b.String())
	}
	return out
}

func mustDatums(t *testing.T, in *spec.Input, l Lister) []Datum {
	t.Helper()
	datums, err := Datums(in, l)
	if err != nil {
		t.Fatalf("Datums: %v", err)
	}
	return datums
}
