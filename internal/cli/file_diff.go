package cli

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Kinds of change, as `diff file -o json` reports them.
const (
	changeAdded    = "added"
	changeDeleted  = "deleted"
	changeModified = "modified"
)

// fileChange is one line of a diff: the server's FileDiff and what kind of
// change it is.
type fileChange struct {
	Change string `json:"change"`
	tusk.FileDiff
}

func changeOf(d tusk.FileDiff) fileChange {
	switch {
	case d.Old == nil:
		return fileChange{changeAdded, d}
	case d.New == nil:
		return fileChange{changeDeleted, d}
	}
	return fileChange{changeModified, d}
}

// diffOptions are the flags of `diff file`.
type diffOptions struct {
	nameOnly bool
}

func newDiffFileCommand(g *globals) *cobra.Command {
	var opts diffOptions
	var output string
	cmd := &cobra.Command{
		Use:   "file <new-repo>@<ref>[:<path>] [<old-repo>@<ref>]",
		Short: "Show the files that differ between two commits",
		Long: `Show the files under a path that differ between two commits; the old commit
defaults to the new one's parent. Each line is a change, like a short status:

  + /added.csv     1.2 KiB
  - /deleted.csv   300 B
  ~ /changed.csv   1.0 KiB -> 1.5 KiB

--name-only prints only the paths. With -o json each line is a JSON object
{"change": "added"|"deleted"|"modified", "path", "old", "new"}.`,
		Example: "  tusk diff file images@master\n  tusk diff file images@master:/photos images@master~3",
		Args:    rangeArgs(1, 2, "a new commit and optionally an old one"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, args []string) error {
			old := ""
			if len(args) == 2 {
				old = args[1]
			}
			return runDiffFile(ctx, c, opts, args[0], old, p)
		}),
	}
	cmd.Flags().BoolVar(&opts.nameOnly, "name-only", false, "print only the paths of changed files")
	addOutputFlag(cmd, &output)
	return cmd
}

func runDiffFile(ctx context.Context, c *client.Client, opts diffOptions, newRef, oldRef string, p printer) error {
	var changes []fileChange
	err := c.DiffFiles(ctx, newRef, oldRef, func(d tusk.FileDiff) error {
		changes = append(changes, changeOf(d))
		return nil
	})
	if err != nil {
		return err
	}
	return printDiff(p, opts, changes)
}

func printDiff(p printer, opts diffOptions, changes []fileChange) error {
	if p.json {
		for _, ch := range changes {
			if err := p.line(ch); err != nil {
				return err
			}
		}
		return nil
	}
	if opts.nameOnly {
		for _, ch := range changes {
			fmt.Fprintln(p.out, ch.Path)
		}
		return nil
	}
	tw := tabwriter.NewWriter(p.out, 0, 8, 3, ' ', 0)
	for _, ch := range changes {
		diffLine(tw, ch)
	}
	return tw.Flush()
}

func diffLine(w io.Writer, ch fileChange) {
	switch ch.Change {
	case changeAdded:
		row(w, "+ "+ch.Path, humanSize(ch.New.SizeBytes))
	case changeDeleted:
		row(w, "- "+ch.Path, humanSize(ch.Old.SizeBytes))
	default:
		row(w, "~ "+ch.Path, humanSize(ch.Old.SizeBytes)+" -> "+humanSize(ch.New.SizeBytes))
	}
}
