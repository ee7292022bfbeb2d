package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/pachapi"
	"github.com/tuskdata/tusk/internal/tusk"
)

func newStartCommitCommand(g *globals) *cobra.Command {
	var description string
	cmd := &cobra.Command{
		Use:   "commit <repo>@<branch>",
		Short: "Start a commit on a branch",
		Long: `Start (open) a new commit on a branch and print its ID. Files put into the
branch land in the open commit until it is finished; a branch has at most one
open commit. Without @branch, master is used.`,
		Example: `  tusk start commit images@master -m "nightly import"
  tusk put file images@master:/a.png -f a.png
  tusk put file images@master:/b.png -f b.png
  tusk finish commit images@master`,
		Args: exactArgs(1, "repo@branch"),
		RunE: func(cmd *cobra.Command, args []string) error {
			repo, branch, err := splitBranchArg(args[0], true)
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			c, done, err := g.inTxn(c)
			if err != nil {
				return err
			}
			ci, err := c.StartCommit(cmd.Context(), repo, branch, description)
			if err = done(err); err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, ci.ID)
			return nil
		},
	}
	cmd.Flags().StringVarP(&description, "message", "m", "", "a description of the commit")
	cmd.Flags().StringVarP(&description, "description", "d", "", "the same as --message")
	return cmd
}

func newFinishCommitCommand(g *globals) *cobra.Command {
	var description string
	cmd := &cobra.Command{
		Use:   "commit <repo>@<branch-or-id>",
		Short: "Finish an open commit",
		Long:  "Finish (close) an open commit. A finished commit never changes.",
		Args:  exactArgs(1, "repo@branch or repo@commit-id"),
		RunE: g.onServer(nil, func(ctx context.Context, c *client.Client, _ printer, args []string) error {
			c, done, err := g.inTxn(c)
			if err != nil {
				return err
			}
			_, err = c.FinishCommit(ctx, args[0], description, "")
			return done(err)
		}),
	}
	cmd.Flags().StringVarP(&description, "message", "m", "", "a description of the commit (replaces the one given at start)")
	cmd.Flags().StringVarP(&description, "description", "d", "", "the same as --message")
	return cmd
}

func newInspectCommitCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "commit <repo>@<branch-or-id> | <commit-id>",
		Short: "Show a commit's details",
		Long: `Show a commit's details: parent, children, state, size and provenance (the
upstream commits it was computed from). A bare commit ID shows its commit
set: the commits of every repo that one change made (with -o json,
{"commit_set": {"id"}, "commits": [...]}).

` + outputHelp + ".",
		Example: "  tusk inspect commit images@master\n  tusk inspect commit images@master^\n  tusk inspect commit images@master.1",
		Args:    exactArgs(1, "repo@branch, repo@commit-id or a commit ID"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, args []string) error {
			if isCommitSetID(args[0]) {
				cs, err := c.CommitSet(ctx, args[0])
				if err != nil {
					return err
				}
				return printCommitSet(p, commitSet{ID: args[0], Commits: cs})
			}
			ci, err := c.InspectCommit(ctx, args[0])
			if err != nil {
				return err
			}
			return printCommit(p, ci)
		}),
	}
	addOutputFlag(cmd, &output)
	return cmd
}

func printCommit(p printer, c tusk.Commit) error {
	if p.json {
		return p.object(pachapi.CommitInfoFrom(c))
	}
	finished := "-"
	if c.Finished != nil {
		finished = p.ago(*c.Finished)
	}
	prov := make([]string, len(c.Provenance))
	for i, r := range c.Provenance {
		prov[i] = r.Repo + "@" + r.ID
		if r.Branch != "" {
			prov[i] += " (" + r.Branch + ")"
		}
	}
	tw := p.fields()
	row(tw, "Commit:", c.Repo+"@"+c.ID)
	row(tw, "Original Branch:", orDash(c.Branch))
	row(tw, "Parent:", orDash(c.Parent))
	row(tw, "Children:", orDash(strings.Join(c.Children, ", ")))
	row(tw, "Origin:", c.Origin)
	row(tw, "State:", c.State)
	row(tw, "Started:", p.ago(c.Started))
	row(tw, "Finished:", finished)
	row(tw, "Size:", humanSize(c.SizeBytes))
	row(tw, "Files:", fmt.Sprint(c.Files))
	row(tw, "Description:", orDash(c.Description))
	if c.Error != "" {
		row(tw, "Error:", c.Error)
	}
	row(tw, "Provenance:", orDash(strings.Join(prov, ", ")))
	return tw.Flush()
}

const commitOrSetHelp = `The commit is repo@branch, repo@commit-id or an ancestry reference
(repo@master^); a bare commit ID means every commit of that commit set
(the commits of all repos made by one change, sharing its ID).`

func newDeleteCommitCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "commit <repo>@<branch-or-id> | <commit-id>",
		Short: "Delete a head commit and its data",
		Long: `Delete a commit that has no children, with its data: branches whose head it
is move back to its parent. Commits downstream of it in its commit set are
deleted too. To drop a commit in the middle of a history but keep its
changes, squash it instead.

` + commitOrSetHelp,
		Args: exactArgs(1, "repo@ref or a commit ID"),
		RunE: g.onServer(nil, func(ctx context.Context, c *client.Client, _ printer, args []string) error {
			_, err := c.DeleteCommit(ctx, args[0])
			return err
		}),
	}
}

func newSquashCommitCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "commit <repo>@<branch-or-id> | <commit-id>",
		Short: "Squash a commit into its children",
		Long: `Remove a finished commit that has children, keeping its data: its children
take its parent as theirs. A branch head has no children to keep its data,
so it cannot be squashed (delete it instead).

` + commitOrSetHelp,
		Args: exactArgs(1, "repo@ref or a commit ID"),
		RunE: g.onServer(nil, func(ctx context.Context, c *client.Client, _ printer, args []string) error {
			_, err := c.SquashCommit(ctx, args[0])
			return err
		}),
	}
}
