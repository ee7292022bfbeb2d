package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/pachapi"
	"github.com/tuskdata/tusk/internal/tusk"
)

var commitHeader = []string{"PROJECT", "REPO", "COMMIT", "FINISHED", "SIZE", "ORIGIN", "CREATOR", "DESCRIPTION"}

// commitShape is a commit as pachctl prints it in JSON.
var commitShape = as(pachapi.CommitInfoFrom)

func commitCells(p printer) func(tusk.Commit) []string {
	return func(c tusk.Commit) []string {
		finished := "-"
		if c.Finished != nil {
			finished = p.ago(*c.Finished)
		}
		return []string{projectOf(c.Project), c.Repo, c.ID, finished, humanSize(c.SizeBytes), c.Origin, "-", commitDescription(c)}
	}
}

// commitDescription is a commit's description, followed by its error if
// it has one (the reason its job failed).
func commitDescription(c tusk.Commit) string {
	switch {
	case c.Error == "":
		return c.Description
	case c.Description == "":
		return "error: " + c.Error
	}
	return c.Description + "; error: " + c.Error
}

// isCommitSetID reports whether s looks like a bare commit (set) ID.
func isCommitSetID(s string) bool {
	return len(s) == 32 && strings.Trim(s, "0123456789abcdef") == ""
}

// listCommitOptions are the flags of `list commit`.
type listCommitOptions struct {
	number int
	from   string // list the commits after this one only
	origin string // USER or AUTO: only commits of that origin
}

func newListCommitCommand(g *globals) *cobra.Command {
	var opts listCommitOptions
	var output string
	cmd := &cobra.Command{
		Use:   "commit [<repo>[@<branch-or-id>] | <commit-id>]",
		Short: "List commits",
		Long: `List commits newest first: the history of a branch or commit (repo@ref), every
commit of a repo (repo), or the commits of a commit set (a bare commit ID).
Without an argument it lists commit sets, one row each, as pachctl does
(with -o json, {"commit_set": {"id"}, "commits": [...]} per line): a
set's PROGRESS is its commits finished + failed / total.
--from ID stops at that commit (listing only those that came after it);
--origin USER or AUTO keeps the commits that users made, or that pipelines
and propagation made. --all is accepted for pachctl's scripts: every commit
is listed anyway.

` + outputHelp + ".",
		Example: "  tusk list commit images@master -n 10\n  tusk list commit images\n  tusk list commit",
		Args:    rangeArgs(0, 1, "at most one repo, repo@ref or commit ID"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, args []string) error {
			if opts.number < 0 {
				return usagef("-n %d: want a positive number of commits", opts.number)
			}
			opts.origin = strings.ToUpper(opts.origin)
			if opts.origin != "" && opts.origin != tusk.OriginUser && opts.origin != tusk.OriginAuto {
				return usagef("--origin %q: want USER or AUTO", opts.origin)
			}
			if len(args) == 0 {
				if opts.from != "" || opts.origin != "" {
					return usagef("--from and --origin need a repo: commit sets span repos")
				}
				sets, err := listCommitSets(ctx, c, opts.number)
				if err != nil {
					return err
				}
				return printAllAs(p, commitSetHeader, commitSetCells(p), commitSetShape, sets)
			}
			return runListCommit(ctx, c, opts, args[0], p)
		}),
	}
	cmd.Flags().IntVarP(&opts.number, "number", "n", 0, "list at most this many commits (0: all)")
	cmd.Flags().StringVarP(&opts.from, "from", "f", "", "list only the commits after this commit ID")
	cmd.Flags().StringVar(&opts.origin, "origin", "", "list only commits of this origin: USER or AUTO")
	cmd.Flags().Bool("all", false, "accepted for pachctl's scripts: every commit is listed anyway")
	addOutputFlag(cmd, &output)
	return cmd
}

func runListCommit(ctx context.Context, c *client.Client, opts listCommitOptions, arg string, p printer) error {
	if isCommitSetID(arg) {
		cs, err := c.CommitSet(ctx, arg)
		if err != nil {
			return err
		}
		cs = slices.DeleteFunc(cs, func(cm tusk.Commit) bool { return opts.origin != "" && cm.Origin != opts.origin })
		if opts.number > 0 && len(cs) > opts.number {
			cs = cs[:opts.number]
		}
		return printAllAs(p, commitHeader, commitCells(p), commitShape, cs)
	}
	l := newListAs(p, commitHeader, commitCells(p), commitShape)
	filtered := opts.from != "" || opts.origin != ""
	limit, n := opts.number, 0
	if filtered {
		limit = 0 // counted here, after the filters
	}
	errEnough := errors.New("enough")
	err := c.ListCommits(ctx, arg, "", limit, func(cm tusk.Commit) error {
		switch {
		case opts.from != "" && (cm.ID == opts.from || strings.HasPrefix(cm.ID, opts.from)):
			return errEnough
		case opts.origin != "" && cm.Origin != opts.origin:
			return nil
		case filtered && opts.number > 0 && n == opts.number:
			return errEnough
		}
		n++
		return l.add(cm)
	})
	if err != nil && !errors.Is(err, errEnough) {
		return err
	}
	return l.flush()
}

func newWaitCommitCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "commit <repo>@<branch-or-id> | <commit-id>",
		Short: "Wait for a commit to finish",
		Long: `Block until a commit is finished, then print it. A bare commit ID waits for
every commit of that commit set, such as the output commits of the pipelines
a change started.

If a commit waited for has an error (the job making it failed, was killed or
could not run), the command prints the commits, then each error, and exits
with status 1.

` + outputHelp + ".",
		Args: exactArgs(1, "repo@ref or a commit ID"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, args []string) error {
			cs, err := c.WaitCommit(ctx, args[0])
			if err != nil {
				return err
			}
			if err := printAllAs(p, commitHeader, commitCells(p), commitShape, cs); err != nil {
				return err
			}
			return commitErrors(cs)
		}),
	}
	addOutputFlag(cmd, &output)
	return cmd
}

// commitErrors returns an error naming every commit of cs that has one,
// or nil. Its hint points at the job of a commit that failed of itself,
// not because a commit it was computed from failed.
func commitErrors(cs []tusk.Commit) error {
	failed := map[string]bool{}
	var lines []string
	for _, c := range cs {
		if c.Error != "" {
			failed[c.Repo+"@"+c.ID] = true
			lines = append(lines, c.Repo+"@"+c.ID+": "+c.Error)
		}
	}
	if lines == nil {
		return nil
	}
	msg := lines[0]
	if len(lines) > 1 {
		msg = fmt.Sprintf("%d commits failed:\n    %s", len(lines), strings.Join(lines, "\n    "))
	}
	err := tusk.Errorf(tusk.KindInternal, "%s", msg)
	for _, c := range cs {
		if c.Error == "" || c.Origin != tusk.OriginAuto || slices.ContainsFunc(c.Provenance, func(p tusk.CommitRef) bool { return failed[p.Repo+"@"+p.ID] }) {
			continue
		}
		ref := c.Repo + "@" + c.ID
		return err.WithHint("see why: tusk inspect job %s; tusk list datum %s; tusk logs -j %s", ref, ref, ref)
	}
	return err
}

// subscribeOptions are the flags of `subscribe commit`.
type subscribeOptions struct {
	newOnly bool
}

func newSubscribeCommitCommand(g *globals) *cobra.Command {
	var opts subscribeOptions
	var output string
	cmd := &cobra.Command{
		Use:   "commit <repo>[@<branch>]",
		Short: "Print a repo's commits as they finish",
		Long: `Print the finished commits of a repo (or of one branch), then each new one as
it finishes, until interrupted. With --new only commits finished from now on
are printed.

` + outputHelp + ".",
		Args: exactArgs(1, "repo or repo@branch"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, args []string) error {
			err := runSubscribeCommit(ctx, c, opts, args[0], p)
			if ctx.Err() != nil {
				return nil // interrupted: the normal way to stop
			}
			return err
		}),
	}
	cmd.Flags().BoolVar(&opts.newOnly, "new", false, "print only commits that finish from now on")
	addOutputFlag(cmd, &output)
	return cmd
}

func runSubscribeCommit(ctx context.Context, c *client.Client, opts subscribeOptions, arg string, p printer) error {
	repo, branch, _ := strings.Cut(arg, "@")
	// A stream cannot be aligned as a whole: columns get a minimum width
	// and each row is flushed as it comes.
	tw := tabwriter.NewWriter(p.out, 12, 8, 3, ' ', 0)
	cells := commitCells(p)
	seen := map[string]bool{}
	emit := func(ci tusk.Commit) error {
		if seen[ci.ID] || ci.Repo != repo || branch != "" && ci.Branch != branch || ci.State != tusk.CommitFinished {
			return nil
		}
		seen[ci.ID] = true
		if p.json {
			return p.line(pachapi.CommitInfoFrom(ci))
		}
		row(tw, cells(ci)...)
		return tw.Flush()
	}
	return c.SubscribeCommits(ctx, func(ev tusk.CommitEvent) error {
		switch ev.Type {
		case "subscribed":
			// Events from here on are pushed, so listing now misses none.
			// Listing also checks that the repo exists.
			var existing []tusk.Commit
			err := c.ListCommits(ctx, repo, "", 0, func(ci tusk.Commit) error {
				existing = append(existing, ci)
				return nil
			})
			if err != nil {
				return err
			}
			if !p.json {
				row(tw, commitHeader...)
			}
			slices.Reverse(existing)
			for _, ci := range existing {
				if opts.newOnly {
					seen[ci.ID] = ci.State == tusk.CommitFinished // its event may be queued
				} else if err := emit(ci); err != nil {
					return err
				}
			}
			return tw.Flush()
		case "finished":
			return emit(ev.Commit)
		}
		return nil
	})
}
