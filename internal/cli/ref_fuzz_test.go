package cli

import (
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/tusk"
)

// FuzzRefArgs checks how the CLI splits reference arguments: what it
// accepts is put back together unchanged, and a branch it accepts is one
// the server reads as that branch or as a commit ID, never with ancestry.
func FuzzRefArgs(f *testing.F) {
	for _, s := range []string{"repo", "repo@master", "repo@master:/a/b", "repo@", "@master", "repo@master^", "repo@b=id",
		"repo@master:", "repo@0123456789abcdef0123456789abcdef", "a@b@c", "repo@master:/a:b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if repo, branch, err := splitBranchArg(s, true); err == nil {
			if repo == "" || branch == "" || s != repo && s != repo+"@"+branch {
				t.Fatalf("splitBranchArg(%q) = %q, %q", s, repo, branch)
			}
			if r, err := tusk.ParseRef(repo + "@" + branch); err == nil && r.Branch != branch && r.ID != branch {
				t.Fatalf("the CLI reads %q as branch %q, the server as %+v", s, branch, r)
			}
		}
		if commit, path, err := needPath("get file", s); err == nil {
			if path == "" || commit+":"+path != s || strings.Contains(commit, ":") {
				t.Fatalf("needPath(%q) = %q, %q", s, commit, path)
			}
		}
	})
}
