package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
)

func newDrawPipelineCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "pipeline",
		Short: "Draw the pipeline graph as text",
		Long: `Draw the graph of pipelines as text: one line per pipeline, upstream before
downstream, with the repos it reads, an arrow, and its output repo. A branch
other than master is shown as repo@branch.`,
		Example: `  $ tusk draw pipeline
         images ─▶ edges
  edges, images ─▶ montage`,
		Args: exactArgs(0, "no arguments"),
		RunE: g.onServer(nil, func(ctx context.Context, c *client.Client, _ printer, _ []string) error {
			ps, err := c.ListPipelines(ctx)
			if err != nil {
				return err
			}
			return drawPipelines(g.stdout, ps)
		}),
	}
}

// drawPipelines writes one line per pipeline, in topological order, with
// the arrows lined up.
func drawPipelines(w io.Writer, ps []tusk.PipelineInfo) error {
	order := topoOrder(ps)
	lefts := make([]string, len(order))
	width := 0
	for i, pi := range order {
		names := make([]string, len(pi.Inputs))
		for j, in := range pi.Inputs {
			names[j] = branchName(in.Repo, in.Branch)
		}
		lefts[i] = strings.Join(names, ", ")
		if lefts[i] == "" {
			lefts[i] = "(no input)"
		}
		width = max(width, utf8.RuneCountInString(lefts[i]))
	}
	for i, pi := range order {
		out := branchName(pi.Name, pi.OutputBranch)
		if pi.Stopped {
			out += " (stopped)"
		}
		pad := strings.Repeat(" ", width-utf8.RuneCountInString(lefts[i]))
		if _, err := fmt.Fprintf(w, "%s%s ─▶ %s\n", pad, lefts[i], out); err != nil {
			return err
		}
	}
	return nil
}

// branchName is repo, or repo@branch for a branch other than master.
func branchName(repo, branch string) string {
	if branch == "" || branch == "master" {
		return repo
	}
	return repo + "@" + branch
}

// topoOrder sorts pipelines so that each comes after the pipelines whose
// output it reads; among those free to go next, by name. Pipelines caught
// in a cycle, which the server should refuse, come last, by name.
func topoOrder(ps []tusk.PipelineInfo) []tusk.PipelineInfo {
	byName := make(map[string]tusk.PipelineInfo, len(ps))
	for _, pi := range ps {
		byName[pi.Name] = pi
	}
	waiting := map[string]int{}         // pipeline → upstream pipelines not yet placed
	downstream := map[string][]string{} // pipeline → pipelines reading it
	for _, pi := range ps {
		for _, up := range upstreamPipelines(pi, byName) {
			waiting[pi.Name]++
			downstream[up] = append(downstream[up], pi.Name)
		}
	}
	var ready, order []string
	for _, pi := range ps {
		if waiting[pi.Name] == 0 {
			ready = append(ready, pi.Name)
		}
	}
	for len(ready) > 0 {
		slices.Sort(ready)
		next := ready[0]
		ready = ready[1:]
		order = append(order, next)
		for _, d := range downstream[next] {
			if waiting[d]--; waiting[d] == 0 {
				ready = append(ready, d)
			}
		}
	}
	var cyclic []string
	for _, pi := range ps {
		if !slices.Contains(order, pi.Name) {
			cyclic = append(cyclic, pi.Name)
		}
	}
	slices.Sort(cyclic)
	out := make([]tusk.PipelineInfo, 0, len(ps))
	for _, name := range append(order, cyclic...) {
		out = append(out, byName[name])
	}
	return out
}

// upstreamPipelines names the pipelines whose output repos pi reads, once
// each.
func upstreamPipelines(pi tusk.PipelineInfo, byName map[string]tusk.PipelineInfo) []string {
	var ups []string
	for _, in := range pi.Inputs {
		if _, ok := byName[in.Repo]; ok && in.Repo != pi.Name && !slices.Contains(ups, in.Repo) {
			ups = append(ups, in.Repo)
		}
	}
	return ups
}
