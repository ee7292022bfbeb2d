package cli

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/tusk"
)

// Shell completion of names (tusk completion bash|zsh|fish): the
// positional arguments of each command complete as their placeholders in
// its Use line say, asking the server: <repo>, <repo>@<branch> (any
// <…repo>@ reference), <repo>@<ref>:<path>, <pipeline>, <pipeline>@<job-id>;
// and so do the flags -p/--pipeline and -j/--job. Deriving it from Use
// keeps a new command's completion in step with its help.

// argKind is what a positional argument names.
type argKind int

const (
	argNone argKind = iota
	argRepo
	argRef
	argFile
	argPipeline
	argJob
)

// kindOf reads the kind of an argument from its placeholder in a Use line.
func kindOf(placeholder string) argKind {
	p := strings.Trim(placeholder, "()[]\"")
	switch {
	case strings.HasPrefix(p, "<pipeline>@"):
		return argJob
	case strings.HasPrefix(p, "<pipeline>"):
		return argPipeline
	case !strings.HasPrefix(p, "<") || !strings.Contains(strings.SplitN(p, ">", 2)[0], "repo"):
		return argNone
	case strings.Contains(p, ":<"):
		return argFile
	case strings.Contains(p, "@"):
		return argRef
	}
	return argRepo
}

// argKinds reads the kinds of a command's positional arguments from its
// Use line: "file <src-repo>@<ref>:<path> <dst-repo>@<branch>[:<path>]"
// gives file, file. Flags and their values are left out, and of
// alternatives ("a | b") the first counts.
func argKinds(use string) []argKind {
	fields := strings.Fields(use)
	var kinds []argKind
	for i := 1; i < len(fields); i++ {
		f := fields[i]
		switch {
		case f == "|":
			i++ // the alternative takes the same place
		case strings.HasPrefix(strings.TrimLeft(f, "[("), "-"):
			if i+1 < len(fields) && strings.HasPrefix(fields[i+1], "<") {
				i++ // the flag's value
			}
		case strings.HasPrefix(f, "...") || strings.HasPrefix(f, "[--"):
		default:
			kinds = append(kinds, kindOf(f))
		}
	}
	return kinds
}

// installCompletion sets the completion of every command under cmd.
func installCompletion(g *globals, cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		installCompletion(g, c)
	}
	if cmd.ValidArgsFunction == nil && cmd.Runnable() {
		if kinds := argKinds(cmd.Use); len(kinds) > 0 {
			cmd.ValidArgsFunction = func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
				if len(args) >= len(kinds) {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				return g.complete(cmd.Context(), kinds[len(args)], toComplete)
			}
		}
	}
	for flag, kind := range map[string]argKind{"pipeline": argPipeline, "job": argJob} {
		if f := cmd.LocalFlags().Lookup(flag); f != nil && f.Value.Type() == "string" {
			cmd.RegisterFlagCompletionFunc(flag, func(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
				return g.complete(cmd.Context(), kind, toComplete)
			})
		}
	}
}

// complete returns the names of kind that start with prefix. Errors (no
// server) complete nothing rather than print.
func (g *globals) complete(ctx context.Context, kind argKind, prefix string) ([]string, cobra.ShellCompDirective) {
	none := cobra.ShellCompDirectiveNoFileComp
	if kind == argNone {
		return nil, cobra.ShellCompDirectiveDefault
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := g.client()
	if err != nil {
		return nil, none
	}
	var out []string
	keep := func(s string) {
		if strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	repo, rest, hasAt := strings.Cut(prefix, "@")
	switch {
	case kind == argPipeline || kind == argJob && !hasAt:
		ps, err := c.ListPipelines(ctx)
		if err != nil {
			return nil, none
		}
		for _, p := range ps {
			if kind == argJob {
				keep(p.Name + "@")
			} else {
				keep(p.Name)
			}
		}
		if kind == argJob {
			return out, none | cobra.ShellCompDirectiveNoSpace
		}
		return out, none
	case kind == argJob:
		js, err := c.ListJobs(ctx, repo, "", 50)
		if err != nil {
			return nil, none
		}
		for _, j := range js {
			keep(repo + "@" + j.ID)
		}
		return out, none
	case kind == argRepo || !hasAt:
		rs, err := c.ListRepos(ctx)
		if err != nil {
			return nil, none
		}
		for _, r := range rs {
			if kind == argRepo {
				keep(r.Name)
			} else {
				keep(r.Name + "@")
			}
		}
		if kind == argRepo {
			return out, none
		}
		return out, none | cobra.ShellCompDirectiveNoSpace
	}
	ref, path, hasPath := strings.Cut(rest, ":")
	if !hasPath {
		bs, err := c.ListBranches(ctx, repo)
		if err != nil {
			return nil, none
		}
		for _, b := range bs {
			if kind == argFile {
				keep(repo + "@" + b.Name + ":/")
			} else {
				keep(repo + "@" + b.Name)
			}
		}
		if kind == argFile {
			return out, none | cobra.ShellCompDirectiveNoSpace
		}
		return out, none
	}
	// A partial path: the entries of its directory, directories with a
	// slash (the shell adds no space after any of them).
	dir := path[:strings.LastIndex(path, "/")+1]
	if dir == "" {
		dir = "/"
	}
	ref = repo + "@" + ref
	err = c.ListFiles(ctx, ref+":"+dir, "", 1000, func(fi tusk.FileInfo) error {
		name := fi.Path
		if fi.Type == "dir" && !strings.HasSuffix(name, "/") {
			name += "/"
		}
		keep(ref + ":" + name)
		return nil
	})
	if err != nil {
		return nil, none
	}
	return out, none | cobra.ShellCompDirectiveNoSpace
}
