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

// createBranchOptions are the flags of `create branch`.
type createBranchOptions struct {
	head       string
	provenance []string
	trigger    tusk.Trigger
}

func newCreateBranchCommand(g *globals) *cobra.Command {
	var opts createBranchOptions
	cmd := &cobra.Command{
		Use:   "branch <repo>@<branch>",
		Short: "Create a branch, or move its head",
		Long: `Create a branch, or move an existing branch's head.

Every branch has a head commit: a new branch without --head starts at an empty
commit. --head takes a branch, a commit ID or an ancestry reference in the
same repo (master^, master~2, master.1); moving a head back rewinds the
branch. --provenance makes the branch's commits come from upstream branches
in other repos (as a pipeline's output does); it replaces the branch's
provenance.

--trigger defers processing: the branch's head moves to the head of the
watched branch (of the same repo) once commits finished there since the
branch last moved meet the conditions: --trigger-commits commits,
--trigger-size bytes added (1MB, 500K), or a tick of --trigger-cron passed;
any one of them, or all with --trigger-all. Commit to the watched branch;
pipelines reading the triggered branch run when it moves. Triggers chain.`,
		Example: `  tusk create branch images@staging
  tusk create branch images@master --head master^     # undo the last commit
  tusk create branch edges@master -p images@master
  tusk create branch images@master --trigger staging --trigger-commits 10 --trigger-size 100MB`,
		Args: exactArgs(1, "repo@branch"),
		RunE: g.onServer(nil, func(ctx context.Context, c *client.Client, _ printer, args []string) error {
			c, done, err := g.inTxn(c)
			if err != nil {
				return err
			}
			return done(runCreateBranch(ctx, c, opts, args[0]))
		}),
	}
	cmd.Flags().StringVar(&opts.head, "head", "", "the branch's head: a branch, commit ID or ancestry reference (master^) in the same repo")
	cmd.Flags().StringArrayVarP(&opts.provenance, "provenance", "p", nil, "an upstream branch repo@branch; repeat for several")
	cmd.Flags().StringVar(&opts.trigger.Branch, "trigger", "", "the branch of the same repo whose commits move this branch when the trigger's conditions are met")
	cmd.Flags().StringVar(&opts.trigger.Size, "trigger-size", "", "trigger when this much data was added to the watched branch (1MB, 500K)")
	cmd.Flags().StringVar(&opts.trigger.Cron, "trigger-cron", "", "trigger when a tick of this cron schedule passed (\"0 * * * *\", @hourly)")
	cmd.Flags().Int64Var(&opts.trigger.Commits, "trigger-commits", 0, "trigger after this many commits to the watched branch")
	cmd.Flags().BoolVar(&opts.trigger.All, "trigger-all", false, "trigger only when all the conditions are met (default: any one)")
	return cmd
}

func runCreateBranch(ctx context.Context, c *client.Client, opts createBranchOptions, arg string) error {
	repo, branch, err := splitBranchArg(arg, false)
	if err != nil {
		return err
	}
	head := opts.head
	if r, h, ok := strings.Cut(head, "@"); ok {
		if r != repo {
			return usagef("--head %s is in repo %s, not %s; a head must be in the branch's repo", head, r, repo)
		}
		head = h
	}
	var prov []tusk.BranchRef
	for _, p := range opts.provenance {
		b, err := branchRef(p)
		if err != nil {
			return err
		}
		prov = append(prov, b)
	}
	trig, err := opts.triggerOf(repo)
	if err != nil {
		return err
	}
	_, err = c.CreateBranch(ctx, repo, branch, head, prov, trig)
	return err
}

// triggerOf is the trigger the flags give a branch of repo, nil if none.
func (opts createBranchOptions) triggerOf(repo string) (*tusk.Trigger, error) {
	t := opts.trigger
	if t.Branch == "" {
		if t != (tusk.Trigger{}) {
			return nil, usagef("--trigger-size, --trigger-cron, --trigger-commits and --trigger-all need --trigger BRANCH")
		}
		return nil, nil
	}
	if r, b, ok := strings.Cut(t.Branch, "@"); ok {
		if r != repo {
			return nil, usagef("--trigger %s is in repo %s, not %s; a trigger watches a branch of the same repo", t.Branch, r, repo)
		}
		t.Branch = b
	}
	return &t, nil
}

func newListBranchCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "branch <repo>",
		Short: "List a repo's branches",
		Long:  "List a repo's branches with their head commits and upstream branches.\n\n" + outputHelp + ".",
		Args:  exactArgs(1, "a repo name"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, args []string) error {
			bs, err := c.ListBranches(ctx, args[0])
			if err != nil {
				return err
			}
			return printBranches(p, bs)
		}),
	}
	addOutputFlag(cmd, &output)
	return cmd
}

func branchRefs(refs []tusk.BranchRef) string {
	s := make([]string, len(refs))
	for i, r := range refs {
		s[i] = r.String()
	}
	return orDash(strings.Join(s, ", "))
}

func printBranches(p printer, bs []tusk.Branch) error {
	return printAllAs(p, []string{"BRANCH", "HEAD", "TRIGGER", "CREATOR", "CREATED"}, func(b tusk.Branch) []string {
		return []string{b.Name, orDash(b.Head), triggerText(b.Trigger), "-", p.timestamp(b.Created)}
	}, as(pachapi.BranchInfoFrom), bs)
}

func newInspectBranchCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "branch <repo>@<branch>",
		Short: "Show a branch's details",
		Long:  "Show a branch's head, provenance (upstream) and subvenance (downstream).\n\n" + outputHelp + ".",
		Args:  exactArgs(1, "repo@branch"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, args []string) error {
			repo, branch, err := splitBranchArg(args[0], false)
			if err != nil {
				return err
			}
			b, err := c.InspectBranch(ctx, repo, branch)
			if err != nil {
				return err
			}
			return printBranch(p, b)
		}),
	}
	addOutputFlag(cmd, &output)
	return cmd
}

func printBranch(p printer, b tusk.Branch) error {
	if p.json {
		return p.object(pachapi.BranchInfoFrom(b))
	}
	tw := p.fields()
	row(tw, "Name:", b.Repo+"@"+b.Name)
	row(tw, "Head:", orDash(b.Head))
	row(tw, "Created:", p.ago(b.Created))
	row(tw, "Provenance:", branchRefs(b.Provenance))
	row(tw, "Subvenance:", branchRefs(b.Subvenance))
	row(tw, "Trigger:", triggerText(b.Trigger))
	return tw.Flush()
}

// triggerText prints a trigger as pachctl does: "staging on Commits(2)",
// its conditions joined by "and" with --trigger-all, else by "or".
func triggerText(t *tusk.Trigger) string {
	if t == nil {
		return "-"
	}
	var conds []string
	if t.Cron != "" {
		conds = append(conds, "Cron("+t.Cron+")")
	}
	if t.Size != "" {
		conds = append(conds, "Size("+t.Size+")")
	}
	if t.Commits != 0 {
		conds = append(conds, fmt.Sprintf("Commits(%d)", t.Commits))
	}
	join := " or "
	if t.All {
		join = " and "
	}
	return t.Branch + " on " + strings.Join(conds, join)
}

func newDeleteBranchCommand(g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "branch <repo>@<branch>",
		Short: "Delete a branch",
		Long:  "Delete a branch. Its commits stay, reachable by ID. A branch that other branches depend on is only deleted with --force.",
		Args:  exactArgs(1, "repo@branch"),
		RunE: func(cmd *cobra.Command, args []string) error {
			repo, branch, err := splitBranchArg(args[0], false)
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
			return done(c.DeleteBranch(cmd.Context(), repo, branch, force))
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "delete the branch even if other branches depend on it")
	return cmd
}
