package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
)

// lineageNode is where a file came from (see client.LineageNode).
type lineageNode = client.LineageNode

func newLineageFileCommand(g *globals) *cobra.Command {
	var output string
	var depth int
	cmd := &cobra.Command{
		Use:   "file <repo>@<ref>:<path> [--depth N]",
		Short: "Show where a file came from: the jobs, datums and inputs upstream",
		Long: `Show where a file came from. For a file a pipeline wrote: the job and datum
that wrote it, its command, spec version and image, and its input files with
their commits and hashes; then the same for each input file, upstream, until
the commits users made (--depth N stops after N pipelines; 0: no limit).

` + outputHelp + ".",
		Example: "  tusk lineage file montage@master:/montage.png\n  tusk lineage file edges@master:/cat.png -o json",
		Args:    exactArgs(1, "repo@ref:/path"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, args []string) error {
			ref, path, err := needPath("lineage file", args[0])
			if err != nil {
				return err
			}
			if depth < 0 {
				return usagef("--depth %d: want a positive number of pipelines, or 0 for all", depth)
			}
			cm, err := c.InspectCommit(ctx, ref)
			if err != nil {
				return err
			}
			n, err := c.Lineage(ctx, cm.Repo, cm.ID, path, depth)
			if err != nil {
				return err
			}
			if p.json {
				return p.object(n)
			}
			return printLineage(p.out, n, "")
		}),
	}
	cmd.Flags().IntVar(&depth, "depth", 0, "follow at most this many pipelines upstream (0: all)")
	addOutputFlag(cmd, &output)
	return cmd
}

// printLineage prints a lineage as an indented tree.
func printLineage(w io.Writer, n *lineageNode, indent string) error {
	line := fmt.Sprintf("%s%s@%s:%s", indent, n.Repo, n.Commit, n.Path)
	if n.Hash != "" {
		line += "  hash " + short(n.Hash)
	}
	switch {
	case n.Job != "":
		line += fmt.Sprintf("\n%s  written by datum %s of job %s@%s (spec version %d): %s", indent, short(n.Datum), n.Pipeline, n.Job, n.PipelineVersion, strings.Join(n.Cmd, " "))
		if n.ImageDigest != "" || n.Image != "" {
			line += fmt.Sprintf("\n%s  image %s", indent, cmp.Or(n.ImageDigest, n.Image))
		}
	case n.Origin != "":
		line += "  (" + strings.ToLower(n.Origin) + " commit)"
	}
	if n.Note != "" {
		line += "\n" + indent + "  " + n.Note
	}
	if _, err := fmt.Fprintln(w, line); err != nil {
		return err
	}
	for _, in := range n.Inputs {
		if err := printLineage(w, in, indent+"    "); err != nil {
			return err
		}
	}
	return nil
}
