package cli

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestArgKinds(t *testing.T) {
	for use, want := range map[string][]argKind{
		"repo <repo>":            {argRepo},
		"branch <repo>@<branch>": {argRef},
		"commit <repo>[@<branch-or-id>] | <commit-id>":              {argRef},
		"file <repo>@<ref>[:<dir>]":                                 {argFile},
		"file \"<repo>@<ref>:<pattern>\"":                           {argFile},
		"file <src-repo>@<ref>:<path> <dst-repo>@<branch>[:<path>]": {argFile, argFile},
		"file <new-repo>@<ref>[:<path>] [<old-repo>@<ref>]":         {argFile, argRef},
		"pipeline (<pipeline> | --all)":                             {argPipeline},
		"pipeline -f <spec> [--reprocess]":                          nil,
		"job <pipeline>@<job-id> | <job-id>":                        {argJob},
		"datum <pipeline>@<job-id> <datum-id>":                      {argJob, argNone},
		"context <name> [--address <host:port|URL>]":                {argNone},
	} {
		if got := argKinds(use); !slices.Equal(got, want) {
			t.Errorf("argKinds(%q) = %v, want %v", use, got, want)
		}
	}
}

// complete runs tusk __complete, as the shells' scripts do, and returns
// the candidates and whether the shell is to add no space after them.
func (e *e2e) complete(args ...string) (candidates []string, noSpace bool) {
	e.t.Helper()
	out := e.run(append([]string{"__complete"}, args...)...)
	for line := range strings.Lines(out) {
		line = strings.TrimSuffix(line, "\n")
		if d, ok := strings.CutPrefix(line, ":"); ok {
			n, err := strconv.Atoi(d)
			if err != nil {
				e.t.Fatalf("tusk __complete %s: directive %q", strings.Join(args, " "), d)
			}
			noSpace = cobra.ShellCompDirective(n)&cobra.ShellCompDirectiveNoSpace != 0
			break
		}
		candidates = append(candidates, line)
	}
	return candidates, noSpace
}

// TestE2ECompletion: repo, branch, path, pipeline and job names complete
// from the server, for positional arguments and -p/-j flags.
func TestE2ECompletion(t *testing.T) {
	e := startServer(t, processRunner...)
	e.run("create", "repo", "words")
	e.run("create", "repo", "other")
	e.runIn(strings.NewReader("one two\n"), "put", "file", "words@master:/dir/a.txt")
	e.runIn(strings.NewReader("three\n"), "put", "file", "words@master:/b.txt")
	e.run("create", "pipeline", "-f", e.writeFile("wc.json", []byte(wcSpec)))
	job := e.headJob("wc")

	for _, c := range []struct {
		args    []string
		want    []string
		noSpace bool
	}{
		{[]string{"inspect", "repo", "wo"}, []string{"words"}, false},
		{[]string{"inspect", "repos", ""}, []string{"other", "wc", "words"}, false},
		{[]string{"list", "commit", "wor"}, []string{"words@"}, true},
		{[]string{"list", "commit", "words@m"}, []string{"words@master"}, false},
		{[]string{"list", "file", "words@"}, []string{"words@master:/"}, true},
		{[]string{"list", "file", "words@master:/"}, []string{"words@master:/b.txt", "words@master:/dir/"}, true},
		{[]string{"get", "file", "words@master:/dir/"}, []string{"words@master:/dir/a.txt"}, true},
		{[]string{"copy", "file", "words@master:/b.txt", "oth"}, []string{"other@"}, true},
		{[]string{"inspect", "pipeline", "w"}, []string{"wc"}, false},
		{[]string{"inspect", "job", "wc@"}, []string{"wc@" + job}, false},
		{[]string{"list", "job", "-p", "w"}, []string{"wc"}, false},
		{[]string{"inspect", "repo", "words", ""}, nil, false},
	} {
		got, noSpace := e.complete(c.args...)
		slices.Sort(got)
		if !slices.Equal(got, c.want) || noSpace != c.noSpace {
			t.Errorf("completion of tusk %s: %q (no space: %v), want %q (no space: %v)", strings.Join(c.args, " "), got, noSpace, c.want, c.noSpace)
		}
	}
}
