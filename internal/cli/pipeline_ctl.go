package cli

import (
	"context"
	"slices"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
)

// deletePipelineOptions are the flags of `delete pipeline`.
type deletePipelineOptions struct {
	all, keepRepo, force bool
}

func newDeletePipelineCommand(g *globals) *cobra.Command {
	var opts deletePipelineOptions
	cmd := &cobra.Command{
		Use:   "pipeline (<pipeline> | --all)",
		Short: "Delete a pipeline",
		Long: `Delete a pipeline: its workers stop, running jobs are killed, and its jobs,
datums, logs and output repo are deleted. With --keep-repo the output repo
stays, with its commits, as a plain repo. --all deletes every pipeline,
downstream ones first.`,
		Example: "  tusk delete pipeline edges\n  tusk delete pipeline edges --keep-repo\n  tusk delete pipeline --all",
		Args:    rangeArgs(0, 1, "a pipeline name (or --all)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.all == (len(args) == 1) {
				return usagef("give either a pipeline name or --all")
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			return runDeletePipeline(cmd.Context(), c, opts, args)
		},
	}
	cmd.Flags().BoolVar(&opts.all, "all", false, "delete every pipeline")
	cmd.Flags().BoolVar(&opts.keepRepo, "keep-repo", false, "keep the output repo")
	cmd.Flags().BoolVarP(&opts.force, "force", "f", false, "accepted for pachctl compatibility; deleting never needs it")
	return cmd
}

func runDeletePipeline(ctx context.Context, c *client.Client, opts deletePipelineOptions, args []string) error {
	if !opts.all {
		return c.DeletePipeline(ctx, args[0], opts.keepRepo)
	}
	ps, err := c.ListPipelines(ctx)
	if err != nil {
		return err
	}
	order := topoOrder(ps)
	slices.Reverse(order)
	for _, pi := range order {
		if err := c.DeletePipeline(ctx, pi.Name, opts.keepRepo); err != nil {
			return err
		}
	}
	return nil
}

// newPipelineActionCommand is a command that runs one action on a named
// pipeline: stop, start, rerun or run-cron.
func newPipelineActionCommand(g *globals, use, action, short, long string, reprocess *bool) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long,
		Args:  exactArgs(1, "a pipeline name"),
		RunE: g.onServer(nil, func(ctx context.Context, c *client.Client, _ printer, args []string) error {
			return c.PipelineAction(ctx, args[0], action, reprocess != nil && *reprocess)
		}),
	}
}

func newStopPipelineCommand(g *globals) *cobra.Command {
	return newPipelineActionCommand(g, "pipeline <pipeline>", "stop", "Stop a pipeline",
		`Stop a pipeline: its running jobs are killed and new commits to its inputs
start no job until it is started again.`, nil)
}

func newStartPipelineCommand(g *globals) *cobra.Command {
	return newPipelineActionCommand(g, "pipeline <pipeline>", "start", "Start a stopped pipeline",
		`Start a stopped pipeline: one job catches up with everything committed to
its inputs while it was stopped.`, nil)
}

func newRerunPipelineCommand(g *globals) *cobra.Command {
	var reprocess bool
	cmd := newPipelineActionCommand(g, "pipeline <pipeline> [--reprocess]", "rerun", "Run a pipeline again over its current inputs",
		`Start a new job of a pipeline over the current heads of its inputs, as a new
version of the pipeline with the same spec. Datums processed successfully
before are skipped unless --reprocess is given.`, &reprocess)
	cmd.Flags().BoolVar(&reprocess, "reprocess", false, "run every datum again")
	return cmd
}

func newRunCronCommand(g *globals) *cobra.Command {
	return newPipelineActionCommand(g, "cron <pipeline>", "run-cron", "Tick a pipeline's cron inputs now",
		`Make every cron input of a pipeline tick now, as if its schedule had come
due: a new file in the cron repo, and so a new job.`, nil)
}
