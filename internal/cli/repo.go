package cli

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/pachapi"
	"github.com/tuskdata/tusk/internal/tusk"
)

func newCreateRepoCommand(g *globals) *cobra.Command {
	var description string
	cmd := &cobra.Command{
		Use:   "repo <repo>",
		Short: "Create a new repo",
		Long: `Create a new, empty repo. Names use letters, digits, '_' and '-', start with
a letter or digit, and have at most 63 characters. The repo gets its master
branch with the first commit (put file or start commit).`,
		Example: "  tusk create repo images -d 'raw camera images'",
		Args:    exactArgs(1, "a repo name"),
		RunE: g.onServer(nil, func(ctx context.Context, c *client.Client, _ printer, args []string) error {
			c, done, err := g.inTxn(c)
			if err != nil {
				return err
			}
			_, err = c.CreateRepo(ctx, args[0], description)
			return done(err)
		}),
	}
	cmd.Flags().StringVarP(&description, "description", "d", "", "a description of the repo")
	return cmd
}

func newUpdateRepoCommand(g *globals) *cobra.Command {
	return newUpdateDescriptionCommand(g, "repo", "  tusk update repo images -d 'camera images, deduplicated'",
		func(ctx context.Context, c *client.Client, name, description string) error {
			_, err := c.UpdateRepo(ctx, name, description)
			return err
		})
}

// newUpdateDescriptionCommand is update NOUN NAME -d DESCRIPTION, which
// update carries out.
func newUpdateDescriptionCommand(g *globals, noun, example string, update func(ctx context.Context, c *client.Client, name, description string) error) *cobra.Command {
	var description string
	cmd := &cobra.Command{
		Use:     noun + " <" + noun + "> -d <description>",
		Short:   "Change a " + noun + "'s description",
		Example: example,
		Args:    exactArgs(1, "a "+noun+" name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("description") {
				return usagef("give the new description with -d")
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			return update(cmd.Context(), c, args[0], description)
		},
	}
	cmd.Flags().StringVarP(&description, "description", "d", "", "the "+noun+"'s new description")
	return cmd
}

func newListRepoCommand(g *globals) *cobra.Command {
	var output string
	var all bool
	cmd := &cobra.Command{
		Use:   "repo",
		Short: "List repos",
		Long: "List the repos of the project (--project, else the context's) with their creation time, the size of their master branch and their description; with -A, those of every project.\n\n" +
			outputHelp + ".",
		Args: exactArgs(0, "no arguments"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, _ []string) error {
			list := c.ListRepos
			if all {
				list = c.ListAllRepos
			}
			repos, err := list(ctx)
			if err != nil {
				return err
			}
			return printRepos(p, repos)
		}),
	}
	addOutputFlag(cmd, &output)
	cmd.Flags().BoolVarP(&all, "all-projects", "A", false, "list the repos of every project")
	return cmd
}

func printRepos(p printer, repos []tusk.Repo) error {
	return printAllAs(p, []string{"PROJECT", "NAME", "CREATED", "SIZE (MASTER)", "DESCRIPTION"}, func(r tusk.Repo) []string {
		return []string{projectOf(r.Project), r.Name, p.ago(r.Created), humanSize(r.SizeBytes), r.Description}
	}, as(pachapi.RepoInfoFrom), repos)
}

func newInspectRepoCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "repo <repo>",
		Short: "Show a repo's details",
		Long:  "Show a repo's details.\n\n" + outputHelp + ".",
		Args:  exactArgs(1, "a repo name"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, args []string) error {
			r, err := c.InspectRepo(ctx, args[0])
			if err != nil {
				return err
			}
			return printRepo(p, r)
		}),
	}
	addOutputFlag(cmd, &output)
	return cmd
}

func printRepo(p printer, r tusk.Repo) error {
	if p.json {
		return p.object(pachapi.RepoInfoFrom(r))
	}
	tw := p.fields()
	row(tw, "Name:", r.Name)
	row(tw, "Type:", r.Type)
	row(tw, "Description:", orDash(r.Description))
	row(tw, "Created:", p.ago(r.Created))
	row(tw, "Size of HEAD on master:", humanSize(r.SizeBytes))
	row(tw, "Branches:", orDash(strings.Join(r.Branches, ", ")))
	return tw.Flush()
}

func newDeleteRepoCommand(g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "repo <repo>",
		Short: "Delete a repo and all its commits",
		Long: `Delete a repo with all its branches and commits. Its data is freed by the
next garbage collection (tusk gc). A repo whose branches feed other branches
is only deleted with --force.`,
		Args: exactArgs(1, "a repo name"),
		RunE: g.onServer(nil, func(ctx context.Context, c *client.Client, _ printer, args []string) error {
			return c.DeleteRepo(ctx, args[0], force)
		}),
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "delete the repo even if other branches depend on it")
	return cmd
}
