package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

const rootLong = `tusk keeps versioned data in repos and runs pipelines over it, driven with
the commands of Pachyderm's pachctl.

Start a server in one terminal, then use it from another:

  tusk up
  tusk create repo images
  tusk put file images@master:/cat.png -f cat.png
  tusk list file images@master
  tusk get file images@master:/cat.png -o cat.png

References name a commit and, for files, a path: repo@branch, repo@<commit-id>,
repo@master^ (the parent of master's head), repo@master~2 (two back),
repo@master.1 (the first commit of master), then :/path for a file.

Pipelines turn the data of input repos into an output repo named after the
pipeline, running a command over each datum (a slice of the input chosen by
a glob); each change to an input starts a job:

  tusk create pipeline -f edges.json
  tusk list job -p edges
  tusk logs -p edges

Server address: $TUSK_ADDRESS (host:port or URL), else the address of the
active context (see tusk config), else 127.0.0.1:1650.

Output: list and inspect commands print tables; with -o json, inspect prints
one JSON object and list prints one JSON object per line (NDJSON).`

func newRootCommand(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:           "tusk",
		Short:         "Versioned data and pipelines, Pachyderm style",
		Long:          rootLong,
		Args:          noCommand,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE:          func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetFlagErrorFunc(flagError)
	// pachctl pages long output unless told not to; tusk never pages, and
	// takes the flag so that scripts written for pachctl run unchanged.
	root.PersistentFlags().Bool("no-pager", false, "accepted for pachctl's scripts: tusk never pages its output")
	root.PersistentFlags().String("project", "", "the project of the repos, pipelines and jobs named (default: the context's, else default)")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error { return g.checkProject(cmd) }
	root.AddCommand(
		newUpCommand(g),
		newVersionCommand(g),
		newConfigCommand(g),
		newAuthCommand(g),
		newVerbCommand("create", "Create a repo, branch or pipeline",
			newCreateRepoCommand(g), newCreateBranchCommand(g), newCreatePipelineCommand(g), newCreateProjectCommand(g), newDefaultsCommand(g, "create")),
		newVerbCommand("update", "Update a repo or pipeline",
			newUpdateRepoCommand(g), newUpdatePipelineCommand(g), newUpdateProjectCommand(g), newDefaultsCommand(g, "update")),
		newVerbCommand("edit", "Edit a pipeline's spec in your editor",
			newEditPipelineCommand(g)),
		newVerbCommand("validate", "Check a pipeline spec file",
			newValidatePipelineCommand(g)),
		newVerbCommand("list", "List repos, branches, commits, files, pipelines, jobs or datums",
			newListRepoCommand(g), newListBranchCommand(g), newListCommitCommand(g), newListFileCommand(g),
			newListPipelineCommand(g), newListJobCommand(g), newListDatumCommand(g), newListProjectCommand(g)),
		newVerbCommand("inspect", "Show details of a repo, branch, commit, file, pipeline, job or datum",
			newInspectRepoCommand(g), newInspectBranchCommand(g), newInspectCommitCommand(g), newInspectFileCommand(g),
			newInspectPipelineCommand(g), newInspectJobCommand(g), newInspectDatumCommand(g), newInspectClusterCommand(g), newInspectProjectCommand(g), newInspectDefaultsCommand(g)),
		newVerbCommand("delete", "Delete a repo, branch, commit, file, pipeline or job",
			newDeleteRepoCommand(g), newDeleteBranchCommand(g), newDeleteCommitCommand(g), newDeleteFileCommand(g),
			newDeletePipelineCommand(g), newDeleteJobCommand(g), newDeleteProjectCommand(g), newDeleteDefaultsCommand(g)),
		newVerbCommand("start", "Start a commit or a stopped pipeline",
			newStartCommitCommand(g), newStartPipelineCommand(g)),
		newVerbCommand("stop", "Stop a pipeline or a job",
			newStopPipelineCommand(g), newStopJobCommand(g)),
		newVerbCommand("rerun", "Run a pipeline again over its current inputs",
			newRerunPipelineCommand(g)),
		newVerbCommand("run", "Tick a pipeline's cron inputs now",
			newRunCronCommand(g)),
		newVerbCommand("restart", "Restart running datums",
			newRestartDatumCommand(g)),
		newVerbCommand("draw", "Draw the pipeline graph",
			newDrawPipelineCommand(g)),
		newVerbCommand("finish", "Finish a commit",
			newFinishCommitCommand(g)),
		newVerbCommand("wait", "Wait for a commit to finish or a job to end",
			newWaitCommitCommand(g), newWaitJobCommand(g)),
		newVerbCommand("explain", "Say why a datum ran or was skipped",
			newExplainDatumCommand(g)),
		newVerbCommand("lineage", "Show where a file came from, upstream",
			newLineageFileCommand(g)),
		newVerbCommand("find", "Find the commits that changed a file",
			newFindCommitCommand(g)),
		newVerbCommand("squash", "Squash a commit into its children",
			newSquashCommitCommand(g)),
		newVerbCommand("subscribe", "Print commits as they finish",
			newSubscribeCommitCommand(g)),
		newVerbCommand("put", "Put files into a repo",
			newPutFileCommand(g)),
		newVerbCommand("get", "Get files out of a repo",
			newGetFileCommand(g)),
		newVerbCommand("glob", "Find files matching a glob pattern",
			newGlobFileCommand(g)),
		newVerbCommand("diff", "Show the files that differ between two commits",
			newDiffFileCommand(g)),
		newVerbCommand("copy", "Copy files between commits without moving data",
			newCopyFileCommand(g)),
		newLogsCommand(g),
		newAuditCommand(g),
		newGCCommand(g),
		newFsckCommand(g),
		newWorkerCommand(g),
		newInstallBinaryCommand(),
		newMountCommand(g), newUnmountCommand(),
		newVerbCommand("next", "Get the next datum (datum batching)", newNextDatumCommand()),
	)
	addSecretCommands(g, root)
	addTransactionCommands(g, root)
	installCompletion(g, root)
	return root
}

// newVerbCommand groups the nouns of one verb ("create" → repo, branch).
// Called without a known noun it is a usage error naming the nouns.
func newVerbCommand(verb, short string, nouns ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use:   verb + " <noun>",
		Short: short,
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var names []string
			for _, n := range cmd.Commands() {
				names = append(names, n.Name())
			}
			if len(args) == 0 {
				return usagef("%s needs a noun: %s", cmd.CommandPath(), strings.Join(names, ", "))
			}
			return usagef("unknown noun %q for %s%s; want one of: %s", args[0], cmd.CommandPath(),
				didYouMean(args[0], commandNames(cmd)), strings.Join(names, ", "))
		},
	}
	for _, n := range nouns {
		n.Aliases = append(n.Aliases, pluralNoun(n.Name()))
	}
	c.AddCommand(nouns...)
	return c
}

// noCommand is the root's argument check: a word that is no command is a
// usage error that names the commands it is close to.
func noCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return usagef("unknown command %q for %q%s", args[0], cmd.CommandPath(), didYouMean(args[0], commandNames(cmd)))
}

// exactArgs requires n arguments, described by what for the error message.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s takes %s, got %d argument(s)", cmd.CommandPath(), what, len(args))
		}
		return nil
	}
}

// rangeArgs requires between lo and hi arguments.
func rangeArgs(lo, hi int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < lo || len(args) > hi {
			return usagef("%s takes %s, got %d argument(s)", cmd.CommandPath(), what, len(args))
		}
		return nil
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
