package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/pachapi"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Tusk has one project so far, "default", which every repo and pipeline
// belongs to. pachctl's --project flag and project commands are taken so
// that scripts written for pachctl run; a project other than the default
// one is refused with a reason, never ignored.

func defaultProject() pachapi.ProjectInfo {
	return pachapi.ProjectInfo{
		Project:     pachapi.Project{Name: spec.DefaultProject},
		Description: "the project of every repo and pipeline (Tusk has one project so far)",
	}
}

// checkProjectFlag refuses --project naming another project than the
// default one.
func checkProjectFlag(cmd *cobra.Command) error {
	f := cmd.Flags().Lookup("project")
	if f == nil || !f.Changed || f.Value.String() == spec.DefaultProject {
		return nil
	}
	return noSuchProject(f.Value.String())
}

func noSuchProject(name string) error {
	return tusk.Errorf(tusk.KindNotFound, "project %q not found: Tusk has only the %q project so far", name, spec.DefaultProject).
		WithHint("leave out --project, or give --project %s", spec.DefaultProject)
}

func newListProjectCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "project",
		Short: "List projects",
		Long:  "List projects: Tusk has one so far, default, which holds every repo and pipeline.\n\n" + outputHelp + ".",
		Args:  exactArgs(0, "no arguments"),
		RunE: g.onServer(&output, func(_ context.Context, _ *client.Client, p printer, _ []string) error {
			return printAll(p, []string{"ACTIVE", "PROJECT", "CREATED", "DESCRIPTION"}, func(pi pachapi.ProjectInfo) []string {
				return []string{"*", pi.Project.Name, "-", pi.Description}
			}, []pachapi.ProjectInfo{defaultProject()})
		}),
	}
	addOutputFlag(cmd, &output)
	return cmd
}

func newInspectProjectCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "project <project>",
		Short: "Show a project",
		Long:  "Show a project: Tusk has one so far, default.\n\n" + outputHelp + ".",
		Args:  exactArgs(1, "a project name"),
		RunE: g.onServer(&output, func(_ context.Context, _ *client.Client, p printer, args []string) error {
			if args[0] != spec.DefaultProject {
				return noSuchProject(args[0])
			}
			pi := defaultProject()
			if p.json {
				return p.object(pi)
			}
			tw := p.fields()
			row(tw, "Name:", pi.Project.Name)
			row(tw, "Description:", pi.Description)
			return tw.Flush()
		}),
	}
	addOutputFlag(cmd, &output)
	return cmd
}

// newProjectChangeCommand is create, update or delete project: refused,
// with the reason, since Tusk has one project so far.
func newProjectChangeCommand(verb string) *cobra.Command {
	return &cobra.Command{
		Use:   "project <project>",
		Short: verb + " a project (Tusk has one project so far, default)",
		Args:  exactArgs(1, "a project name"),
		RunE: func(_ *cobra.Command, args []string) error {
			return tusk.Errorf(tusk.KindInvalid, "cannot %s project %q: Tusk has only the %q project so far, which holds every repo and pipeline", verb, args[0], spec.DefaultProject).
				WithHint("leave out --project and project fields; repos and pipelines go in %s", spec.DefaultProject)
		},
	}
}

// projectOf is the project a record names, or the default one for records
// that name none (all but repos: Tusk has one project).
func projectOf(name string) string {
	if name == "" {
		return spec.DefaultProject
	}
	return name
}
