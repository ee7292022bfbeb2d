package cli

import (
	"context"
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
)

// foundCommit is a commit of find commit: one that changed the path.
type foundCommit struct {
	Repo   string `json:"repo"`
	Commit string `json:"commit"`
	Change string `json:"change"` // added, modified or deleted
	Path   string `json:"path"`
}

func newFindCommitCommand(g *globals) *cobra.Command {
	var output string
	var limit int
	cmd := &cobra.Command{
		Use:   "commit <repo>@<branch>:<path>",
		Short: "Find the commits that changed a file",
		Long: `Walk the history of a branch (or commit), newest first, and list the commits
that added, modified or deleted the file or directory at path. --limit N
stops after N of them. It reads the path in every commit of the history, so
it takes time on long histories.

` + outputHelp + ".",
		Example: "  tusk find commit images@master:/cat.png --limit 1",
		Args:    exactArgs(1, "repo@branch:/path"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, args []string) error {
			ref, path, err := needPath("find commit", args[0])
			if err != nil {
				return err
			}
			if limit < 0 {
				return usagef("--limit %d: want a positive number of commits", limit)
			}
			found, err := findCommits(ctx, c, ref, path, limit)
			if err != nil {
				return err
			}
			return printAll(p, []string{"COMMIT", "CHANGE", "PATH"}, func(f foundCommit) []string {
				return []string{f.Commit, f.Change, f.Path}
			}, found)
		}),
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "stop after this many commits (0: all)")
	addOutputFlag(cmd, &output)
	return cmd
}

// findCommits walks ref's history and returns the commits where path's
// content (its hash) differs from the commit before.
func findCommits(ctx context.Context, c *client.Client, ref, path string, limit int) ([]foundCommit, error) {
	repo, _, _ := strings.Cut(ref, "@")
	hash := func(id string) (string, error) {
		fi, err := c.InspectFile(ctx, repo+"@"+id+":"+path)
		if errors.Is(err, tusk.ErrNotFound) {
			return "", nil
		}
		return fi.Hash + "/" + fi.Type, err
	}
	var found []foundCommit
	var newer string  // the commit after the one in hand
	var newerH string // path's hash there
	errEnough := errors.New("enough")
	step := func(h string) {
		if newer == "" || h == newerH {
			return
		}
		change := "modified"
		switch {
		case h == "":
			change = "added"
		case newerH == "":
			change = "deleted"
		}
		found = append(found, foundCommit{Repo: repo, Commit: newer, Change: change, Path: path})
	}
	err := c.ListCommits(ctx, ref, "", 0, func(cm tusk.Commit) error {
		h, err := hash(cm.ID)
		if err != nil {
			return err
		}
		step(h)
		if limit > 0 && len(found) >= limit {
			return errEnough
		}
		newer, newerH = cm.ID, h
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, err
	}
	if err == nil {
		step("") // the first commit of the history, if it had the path
	}
	return found, nil
}
