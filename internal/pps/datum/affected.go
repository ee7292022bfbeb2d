package datum

import (
	"fmt"
	"path"
	"slices"

	"github.com/tuskdata/tusk/internal/glob"
	"github.com/tuskdata/tusk/internal/pps/spec"
)

// Affected returns, sorted, the paths of the datums of a PFS input that
// adding, removing or changing the files at paths may add, remove or
// change: among each path and the directories above it (written "/dir/",
// as datum paths are), those the input's glob matches. The datums of the
// other paths keep their files, so a caller that knows the datums of an
// earlier commit only needs to look again at these.
func Affected(in *spec.PFSInput, paths []string) ([]string, error) {
	pattern := glob.Clean(in.Glob)
	g, err := glob.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("input %q: %w", in.Name, err)
	}
	if pattern == "/" {
		if len(paths) == 0 {
			return nil, nil
		}
		return []string{"/"}, nil
	}
	seen := map[string]bool{}
	var out []string
	try := func(p, name string) {
		if !seen[p] && g.Match(name) {
			out = append(out, p)
		}
		seen[p] = true
	}
	for _, p := range paths {
		try(p, p)
		for dir := path.Dir(p); dir != "/"; dir = path.Dir(dir) {
			if seen[dir+"/"] {
				break // so were the directories above it
			}
			try(dir+"/", dir)
		}
	}
	slices.Sort(out)
	return out, nil
}
