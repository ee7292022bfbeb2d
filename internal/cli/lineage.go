package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
)

// lineageNode is where a file came from: for a file a pipeline wrote, the
// job and datum that wrote it and, recursively, its inputs; for a file of
// a user's commit, that commit.
type lineageNode struct {
	Repo   string `json:"repo"`
	Commit string `json:"commit"`
	Path   string `json:"path"`
	Hash   string `json:"hash,omitempty"`
	Origin string `json:"origin,omitempty"` // the commit's: USER or AUTO

	// Of a file a pipeline wrote.
	Pipeline        string         `json:"pipeline,omitempty"`
	Job             string         `json:"job,omitempty"`
	Datum           string         `json:"datum,omitempty"`
	PipelineVersion int            `json:"pipeline_version,omitempty"`
	Cmd             []string       `json:"cmd,omitempty"`
	Image           string         `json:"image,omitempty"`
	ImageDigest     string         `json:"image_digest,omitempty"`
	Inputs          []*lineageNode `json:"inputs,omitempty"`
	// Note says why the walk stopped here, when it did.
	Note string `json:"note,omitempty"`
}

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
			n, err := lineage(ctx, c, cm.Repo, cm.ID, path, depth)
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

// lineage finds where repo@commit:path came from, depth pipelines up
// (0: all the way).
func lineage(ctx context.Context, c *client.Client, repo, commit, path string, depth int) (*lineageNode, error) {
	n := &lineageNode{Repo: repo, Commit: commit, Path: path}
	fi, err := c.InspectFile(ctx, repo+"@"+commit+":"+path)
	if err != nil {
		return nil, fmt.Errorf("lineage of %s@%s:%s: %w", repo, commit, path, err)
	}
	n.Hash = fi.Hash
	cm, err := c.InspectCommit(ctx, repo+"@"+commit)
	if err != nil {
		return nil, err
	}
	n.Origin = cm.Origin
	// A pipeline's output commit has the ID of its job.
	j, err := c.InspectJob(ctx, repo, commit)
	if errors.Is(err, tusk.ErrNotFound) {
		return n, nil // a commit a user made, or a repo no pipeline writes
	}
	if err != nil {
		return nil, err
	}
	n.Pipeline, n.Job, n.PipelineVersion, n.Cmd = j.Pipeline, j.ID, j.PipelineVersion, j.Cmd
	var wrote *tusk.DatumInfo
	err = c.ListDatums(ctx, j.Pipeline, j.ID, "", func(d tusk.DatumInfo) error {
		if wrote == nil && slices.Contains(d.Outputs, path) {
			wrote = &d
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if wrote == nil {
		n.Note = "no datum of job " + j.ID + " records writing this path (written before datums kept their outputs, or by a spout or egress)"
		return n, nil
	}
	n.Datum, n.Image, n.ImageDigest = wrote.ID, j.Image, wrote.ImageDigest
	if depth == 1 {
		n.Note = "--depth reached"
		for _, in := range wrote.Inputs {
			n.Inputs = append(n.Inputs, &lineageNode{Repo: in.Repo, Commit: in.Commit, Path: in.Path})
		}
		return n, nil
	}
	for _, in := range wrote.Inputs {
		if in.Path == "" {
			continue
		}
		up, err := lineage(ctx, c, in.Repo, in.Commit, in.Path, max(depth-1, 0))
		if err != nil {
			return nil, err
		}
		n.Inputs = append(n.Inputs, up)
	}
	return n, nil
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
