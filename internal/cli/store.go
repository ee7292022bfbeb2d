package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
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
	var fix bool
	cmd := &cobra.Command{
		Use:   "fsck",
		Short: "Check stored data for damage",
		Long: `Check that every commit's file tree can be read and that every chunk a file
refers to is stored intact. Prints the damage found; the exit status is 1 if
there is any left.

With --fix, mend what can be mended in place: a chunk the metadata store has
lost track of, but which is stored whole (a server died between writing it and
recording it), is recorded where it is. Damage that cannot be mended is named,
with what to do.

` + outputHelp + ".",
		Args: exactArgs(0, "no arguments"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, _ []string) error {
			rep, err := c.Fsck(ctx, fix)
			if err != nil {
				return err
			}
			if err := printFsck(p, rep, fix); err != nil {
				return err
			}
			left := 0
			for _, d := range rep.Damage {
				if d.Fixed == "" {
					left++
				}
			}
			switch {
			case left > 0 && fix:
				return fmt.Errorf("fsck found %s it could not fix", plural(left, "problem", "problems"))
			case left > 0:
				return fmt.Errorf("fsck found %s; some may be mended with tusk fsck --fix", plural(left, "problem", "problems"))
			}
			return nil
		}),
	}
	cmd.Flags().BoolVarP(&fix, "fix", "f", false, "mend the damage that can be mended in place")
	addOutputFlag(cmd, &output)
	return cmd
}

func printFsck(p printer, rep client.FsckReport, fix bool) error {
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
	if !fix {
		tw := p.table("REPO", "COMMIT", "PATH", "PROBLEM")
		for _, d := range rep.Damage {
			row(tw, fsckRepo(d), d.Commit, orDash(d.Path), d.Problem)
		}
		return tw.Flush()
	}
	tw := p.table("REPO", "COMMIT", "PATH", "PROBLEM", "FIXED")
	for _, d := range rep.Damage {
		row(tw, fsckRepo(d), d.Commit, orDash(d.Path), d.Problem, orDash(d.Fixed))
	}
	return tw.Flush()
}

// fsckRepo names d's repo as pachctl names repos: "project/repo" outside
// the default project.
func fsckRepo(d client.FsckDamage) string {
	if p := tusk.OtherProject(d.Project); p != "" {
		return p + "/" + d.Repo
	}
	return d.Repo
}
