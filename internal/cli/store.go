package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
)

func newGCCommand(g *globals) *cobra.Command {
	var dryRun bool
	var output string
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Free stored data that no commit refers to",
		Long: `Collect garbage: delete the stored chunks and tree nodes that no commit refers
to any more (left by deleted repos and commits, overwritten files or
interrupted uploads), and print how much was freed. Data uploaded recently
is protected by a lease, so uploads in flight never lose data. The server
also collects garbage on its own every --gc-interval.

` + outputHelp + ".",
		Args: exactArgs(0, "no arguments"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, _ []string) error {
			s, err := c.GC(ctx, dryRun)
			if err != nil {
				return err
			}
			return printGC(p, s)
		}),
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "only report what would be freed")
	addOutputFlag(cmd, &output)
	return cmd
}

func printGC(p printer, s client.GCStats) error {
	if p.json {
		return p.object(s)
	}
	verb := "Freed"
	if s.DryRun {
		verb = "Would free"
	}
	repacked := ""
	if s.Repacked > 0 {
		repacked = fmt.Sprintf(" Repacked %s less than half used.", plural(s.Repacked, "pack", "packs"))
		if s.DryRun {
			repacked = fmt.Sprintf(" Would repack %s less than half used.", plural(s.Repacked, "pack", "packs"))
		}
	}
	_, err := fmt.Fprintf(p.out, "%s %s (%s); %s in use.%s\n", verb, plural(s.Objects, "object", "objects"),
		humanSize(s.BytesFreed), plural(s.Live, "object", "objects"), repacked)
	return err
}

func newFsckCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "fsck",
		Short: "Check stored data for damage",
		Long: `Check that every commit's file tree can be read and that every chunk a file
refers to is stored intact. Prints the damage found; the exit status is 1 if
there is any.

` + outputHelp + ".",
		Args: exactArgs(0, "no arguments"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, _ []string) error {
			rep, err := c.Fsck(ctx)
			if err != nil {
				return err
			}
			if err := printFsck(p, rep); err != nil {
				return err
			}
			if len(rep.Damage) > 0 {
				return fmt.Errorf("fsck found %s", plural(len(rep.Damage), "problem", "problems"))
			}
			return nil
		}),
	}
	addOutputFlag(cmd, &output)
	return cmd
}

func printFsck(p printer, rep client.FsckReport) error {
	if p.json {
		return p.object(rep)
	}
	summary := fmt.Sprintf("Checked %s, %s and %s in %s", plural(rep.Commits, "commit", "commits"),
		plural(int(rep.Files), "file", "files"), plural(rep.Chunks, "chunk", "chunks"), plural(rep.Packs, "pack", "packs"))
	if len(rep.Damage) == 0 {
		_, err := fmt.Fprintf(p.out, "%s: no damage found.\n", summary)
		return err
	}
	fmt.Fprintf(p.out, "%s: %s.\n\n", summary, plural(len(rep.Damage), "problem", "problems"))
	tw := p.table("REPO", "COMMIT", "PATH", "PROBLEM")
	for _, d := range rep.Damage {
		row(tw, d.Repo, d.Commit, orDash(d.Path), d.Problem)
	}
	return tw.Flush()
}
