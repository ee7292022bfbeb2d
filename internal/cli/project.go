package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/pachapi"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Projects are namespaces of repos and pipelines; the default project
// always exists. pachctl's --project flag is taken on every command.

// noProject lists the commands that name no repo, pipeline or job, for
// which the project does not apply: top-level commands and nouns.
var noProject = map[string]bool{
	"config": true, "up": true, "version": true, "auth": true, "worker": true, "install-binary": true,
	"gc": true, "fsck": true, "audit": true, "next": true,
	"project": true, "secret": true, "transaction": true, "cluster": true, "defaults": true,
}

// activeProject returns the project of the repos, pipelines and jobs
// commands name: --project, else the context's, else the default one;
// from says where it came from.
func (g *globals) activeProject(cmd *cobra.Command) (project, from string, _ error) {
	if f := cmd.Flags().Lookup("project"); f != nil && f.Changed {
		return f.Value.String(), "--project", nil
	}
	server, err := resolveContext(g.getenv)
	if err != nil {
		return "", "", err
	}
	if server.Project != "" {
		return server.Project, "the context's project", nil
	}
	return spec.DefaultProject, "", nil
}

// projectNouns are the nouns whose commands take any project: repos and
// what they hold. Pipelines, jobs and datums are of the default project
// so far.
var projectNouns = map[string]bool{"repo": true, "branch": true, "commit": true, "file": true}

// checkProject sets the project of the command's repos (g.project), and
// refuses one other than the default for a command on pipelines, jobs
// or datums, which are all in the default project so far. A repo's
// roles (auth get|set repo) are those of a repo of the project.
func (g *globals) checkProject(cmd *cobra.Command) error {
	for c := cmd; c != nil && c.HasParent() && !projectNouns[cmd.Name()]; c = c.Parent() {
		if noProject[c.Name()] {
			return nil
		}
	}
	p, from, err := g.activeProject(cmd)
	if err != nil {
		return err
	}
	if p != spec.DefaultProject {
		if err := tusk.ValidateProjectName(p); err != nil {
			return err
		}
	}
	g.project = p
	if p == spec.DefaultProject || projectNouns[cmd.Name()] {
		return nil
	}
	return tusk.Errorf(tusk.KindInvalid, "%s is %q: Tusk keeps pipelines and jobs in the %q project so far", from, p, spec.DefaultProject).
		WithHint("leave out --project, or give --project %s, or set the context's: tusk config set context NAME --project %s", spec.DefaultProject, spec.DefaultProject)
}

func newCreateProjectCommand(g *globals) *cobra.Command {
	var description string
	cmd := &cobra.Command{
		Use:   "project <project>",
		Short: "Create a new project",
		Long: `Create a new, empty project: a namespace for repos and pipelines. Names use
letters, digits, '_' and '-', start with a letter or digit, and have at most
63 characters.`,
		Example: "  tusk create project staging -d 'before release'",
		Args:    exactArgs(1, "a project name"),
		RunE: g.onServer(nil, func(ctx context.Context, c *client.Client, _ printer, args []string) error {
			_, err := c.CreateProject(ctx, args[0], description)
			return err
		}),
	}
	cmd.Flags().StringVarP(&description, "description", "d", "", "a description of the project")
	return cmd
}

func newUpdateProjectCommand(g *globals) *cobra.Command {
	return newUpdateDescriptionCommand(g, "project", "  tusk update project staging -d 'release candidates'",
		func(ctx context.Context, c *client.Client, name, description string) error {
			_, err := c.UpdateProject(ctx, name, description)
			return err
		})
}

func newListProjectCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "project",
		Short: "List projects",
		Long:  "List projects; ACTIVE marks the one commands use when not given --project.\n\n" + outputHelp + ".",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			active, _, err := g.activeProject(cmd)
			if err != nil {
				return err
			}
			return g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, _ []string) error {
				ps, err := c.ListProjects(ctx)
				if err != nil {
					return err
				}
				return printAllAs(p, []string{"ACTIVE", "PROJECT", "CREATED", "DESCRIPTION"}, func(pr tusk.Project) []string {
					mark := ""
					if pr.Name == active {
						mark = "*"
					}
					return []string{mark, pr.Name, p.ago(pr.Created), orDash(pr.Description)}
				}, as(pachapi.ProjectInfoFrom), ps)
			})(cmd, args)
		},
	}
	addOutputFlag(cmd, &output)
	return cmd
}

func newInspectProjectCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "project <project>",
		Short: "Show a project",
		Long:  "Show a project.\n\n" + outputHelp + ".",
		Args:  exactArgs(1, "a project name"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, args []string) error {
			pr, err := c.InspectProject(ctx, args[0])
			if err != nil {
				return err
			}
			if p.json {
				return p.object(pachapi.ProjectInfoFrom(pr))
			}
			tw := p.fields()
			row(tw, "Name:", pr.Name)
			row(tw, "Description:", orDash(pr.Description))
			row(tw, "Created:", p.ago(pr.Created))
			return tw.Flush()
		}),
	}
	addOutputFlag(cmd, &output)
	return cmd
}

func newDeleteProjectCommand(g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "project <project>",
		Short: "Delete an empty project",
		Long: `Delete a project that holds no repos or pipelines; the default project
cannot be deleted. A project that still holds some is refused, naming them,
even with --force: pachctl's --force leaves them behind in a project that no
longer exists, where nothing reaches them; delete them first.`,
		Example: "  tusk delete project staging",
		Args:    exactArgs(1, "a project name"),
		RunE: g.onServer(nil, func(ctx context.Context, c *client.Client, _ printer, args []string) error {
			return c.DeleteProject(ctx, args[0])
		}),
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "taken for pachctl's scripts: a project that holds repos or pipelines is refused all the same")
	return cmd
}

// projectOf is the project a record names, or the default one for records
// that name none.
func projectOf(name string) string {
	if name == "" {
		return spec.DefaultProject
	}
	return name
}
