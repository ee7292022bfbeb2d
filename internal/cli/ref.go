package cli

import (
	"strings"

	"github.com/tuskdata/tusk/internal/pachapi"
	"github.com/tuskdata/tusk/internal/tusk"
)

// The CLI only splits references into the parts the client's calls take;
// the server parses and validates them.

// splitFileArg splits "repo@ref:/path" into the commit part ("repo@ref")
// and the path. Repo and branch names cannot hold ':', so the first one
// starts the path.
func splitFileArg(s string) (commit, path string, hasPath bool) {
	return strings.Cut(s, ":")
}

// splitBranchArg splits "repo@branch"; a bare repo means its master branch
// when defaultMaster is set.
func splitBranchArg(s string, defaultMaster bool) (repo, branch string, err error) {
	repo, branch, ok := strings.Cut(s, "@")
	switch {
	case repo == "" || strings.Contains(repo, ":"):
		return "", "", usagef("%q: want repo@branch", s)
	case !ok && defaultMaster:
		return repo, "master", nil
	case branch == "" || strings.ContainsAny(branch, ":^~.="):
		return "", "", usagef("%q: want repo@branch", s)
	}
	return repo, branch, nil
}

// branchRef parses a provenance argument "repo@branch".
func branchRef(s string) (tusk.BranchRef, error) {
	repo, branch, err := splitBranchArg(s, false)
	return tusk.BranchRef{Repo: repo, Branch: branch}, err
}

// needPath refuses a file reference without ":/path".
func needPath(verb, s string) (commit, path string, err error) {
	commit, path, ok := splitFileArg(s)
	if !ok || path == "" {
		return "", "", usagef("%s needs a file path: repo@ref:/path, got %q", verb, s)
	}
	return commit, path, nil
}

// fileCommit is the commit a file argument "repo@ref[:/path]" names, as
// Pachyderm's JSON names the commit of a file: its repo, and its branch
// when ref names one (master, master^, master.2); the ID is the file's.
func fileCommit(s string) pachapi.Commit {
	commit, _, _ := splitFileArg(s)
	repo, ref, _ := strings.Cut(commit, "@")
	branch, _, _ := strings.Cut(ref, "^")
	branch, _, _ = strings.Cut(branch, "~")
	branch, _, _ = strings.Cut(branch, ".")
	if isCommitSetID(branch) {
		branch = ""
	}
	return pachapi.CommitOf(repo, branch, "")
}
