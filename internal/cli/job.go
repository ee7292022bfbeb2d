package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/pachapi"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

// splitJobArg splits "pipeline@id".
func splitJobArg(s string) (pipeline, id string, err error) {
	pipeline, id, ok := strings.Cut(s, "@")
	if !ok || pipeline == "" || id == "" {
		return "", "", usagef("%q: want pipeline@job-id", s)
	}
	return pipeline, id, nil
}

var jobHeader = []string{"PROJECT", "PIPELINE", "ID", "STARTED", "DURATION", "RESTART", "PROGRESS", "DL", "UL", "STATE"}

// jobCells are a job's table cells. Tusk records neither restarts nor
// transfer sizes per job, so RESTART, DL and UL are "-".
func jobCells(p printer) func(tusk.JobInfo) []string {
	return func(j tusk.JobInfo) []string {
		started := "-"
		if j.Started != nil {
			started = p.ago(*j.Started)
		}
		return []string{spec.DefaultProject, j.Pipeline, j.ID, started, jobDuration(j), "-", jobProgress(j), "-", "-", jobState(j)}
	}
}

// jobState is a job's state, with the reason it failed, was killed or
// could not run.
func jobState(j tusk.JobInfo) string {
	s := strings.ToLower(j.State)
	if j.Reason != "" && j.State != tusk.JobSuccess {
		s += ": " + j.Reason
	}
	return s
}

// jobDuration is how long a finished job ran, else "-".
func jobDuration(j tusk.JobInfo) string {
	if j.Started == nil || j.Finished == nil {
		return "-"
	}
	return humanDuration(j.Finished.Sub(*j.Started))
}

// jobProgress is a job's datums as pachctl counts them: "processed +
// skipped / total", or "processed + skipped + recovered / total" when some
// were recovered. Failed datums show in the job's state.
func jobProgress(j tusk.JobInfo) string {
	if j.DataRecovered > 0 {
		return fmt.Sprintf("%d + %d + %d / %d", j.DataProcessed, j.DataSkipped, j.DataRecovered, j.DataTotal)
	}
	return fmt.Sprintf("%d + %d / %d", j.DataProcessed, j.DataSkipped, j.DataTotal)
}

// jobShape is a job as pachctl prints it in JSON.
var jobShape = as(pachapi.JobInfoFrom)

// listJobOptions are the flags of `list job`.
type listJobOptions struct {
	pipeline string
	number   int
	states   []string
	expand   bool
	history  string
	inputs   []string
}

// jobStates are the states list job --state takes.
var jobStates = []string{tusk.JobCreated, tusk.JobStarting, tusk.JobRunning, tusk.JobEgressing, tusk.JobFinishing,
	tusk.JobSuccess, tusk.JobFailure, tusk.JobKilled, tusk.JobUnrunnable}

func newListJobCommand(g *globals) *cobra.Command {
	var opts listJobOptions
	var output string
	cmd := &cobra.Command{
		Use:   "job [<commit-set-id>] [-p <pipeline>]",
		Short: "List jobs",
		Long: `List jobs newest first: those of one pipeline (-p), or those of one job set
(a bare ID: the jobs one change started, one per pipeline it reached).
Without either it lists job sets, one row each, as pachctl does (with -o
json, {"job_set": {"id"}, "jobs": [...]} per line); -x lists their jobs
instead. A job's PROGRESS is its datums processed + skipped / total (with
recovered ones before the total, if any); a job set's is its jobs
succeeded + failed / total.

With -p it lists the jobs of the pipeline's current version, as pachctl
does; --history N adds those of the N versions before, --history all
those of every version. -i repo@commit (or repo@branch, its head) keeps
the jobs that read that commit; given more than once, all of them.

` + outputHelp + ".",
		Example: "  tusk list job\n  tusk list job -p edges -n 5\n  tusk list job -p edges --history all\n" +
			"  tusk list job -i images@master\n  tusk list job 0f6c2e8a5b3d4c1e9a7f8b6d5c4e3a21",
		Args: rangeArgs(0, 1, "at most one commit-set ID"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, args []string) error {
			if opts.number < 0 {
				return usagef("-n %d: want a positive number of jobs", opts.number)
			}
			keep, err := stateFilter(opts.states, "JOB_", jobStates)
			if err != nil {
				return err
			}
			id := ""
			if len(args) == 1 {
				id = args[0]
			}
			history, err := parseHistory(opts.history)
			if err != nil {
				return err
			}
			limit := opts.number
			filtered := len(opts.states) > 0 || len(opts.inputs) > 0 || opts.pipeline != "" && history != 0
			if filtered || id == "" && opts.pipeline == "" && !opts.expand {
				limit = 0 // counted here: after the filters, or in job sets
			}
			jobs, err := c.ListJobs(ctx, opts.pipeline, id, limit)
			if err != nil {
				return err
			}
			jobs = slices.DeleteFunc(jobs, func(j tusk.JobInfo) bool { return !keep(j.State) })
			if opts.pipeline != "" && history != 0 {
				if jobs, err = recentVersions(ctx, c, opts.pipeline, jobs, max(history, 1)); err != nil {
					return err
				}
			}
			if jobs, err = withInputs(ctx, c, jobs, opts.inputs); err != nil {
				return err
			}
			if id == "" && opts.pipeline == "" && !opts.expand {
				sets := jobSets(jobs)
				if opts.number > 0 && len(sets) > opts.number {
					sets = sets[:opts.number]
				}
				return printAllAs(p, jobSetHeader, jobSetCells(p), jobSetShape, sets)
			}
			if opts.number > 0 && len(jobs) > opts.number {
				jobs = jobs[:opts.number]
			}
			return printAllAs(p, jobHeader, jobCells(p), jobShape, jobs)
		}),
	}
	cmd.Flags().StringVarP(&opts.pipeline, "pipeline", "p", "", "list only the jobs of this pipeline")
	cmd.Flags().IntVarP(&opts.number, "number", "n", 0, "list at most this many jobs, or job sets (0: all)")
	cmd.Flags().BoolVarP(&opts.expand, "expand", "x", false, "without -p or an ID: list the jobs of every job set, not one row per set")
	cmd.Flags().StringSliceVar(&opts.states, "state", nil, "list only jobs in this state (repeatable, or comma-separated): "+strings.Join(jobStates, ", "))
	cmd.Flags().StringVar(&opts.history, "history", "none", `with -p: also list the jobs of this many earlier versions of the pipeline, or "all"`)
	cmd.Flags().StringSliceVarP(&opts.inputs, "input", "i", nil, "list only jobs that read this input commit, <repo>@<branch-or-commit> (repeatable: all of them)")
	addOutputFlag(cmd, &output)
	return cmd
}

// recentVersions keeps the jobs of the last versions versions of the
// pipeline, the current one included.
func recentVersions(ctx context.Context, c *client.Client, pipeline string, jobs []tusk.JobInfo, versions int) ([]tusk.JobInfo, error) {
	info, err := c.InspectPipeline(ctx, pipeline)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(jobs, func(j tusk.JobInfo) bool { return j.PipelineVersion <= info.Version-versions }), nil
}

// withInputs keeps the jobs that read every one of the input commits,
// each "repo@branch-or-commit" (a branch stands for its head commit).
func withInputs(ctx context.Context, c *client.Client, jobs []tusk.JobInfo, inputs []string) ([]tusk.JobInfo, error) {
	want := make([]tusk.CommitRef, len(inputs))
	for i, in := range inputs {
		cm, err := c.InspectCommit(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("--input %s: %w", in, err)
		}
		want[i] = tusk.CommitRef{Repo: cm.Repo, ID: cm.ID}
	}
	return slices.DeleteFunc(jobs, func(j tusk.JobInfo) bool {
		for _, w := range want {
			if !slices.ContainsFunc(j.Inputs, func(in tusk.CommitRef) bool { return in.Repo == w.Repo && in.ID == w.ID }) {
				return true
			}
		}
		return false
	}), nil
}

func newInspectJobCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "job <pipeline>@<job-id>",
		Short: "Show a job's details",
		Long:  "Show a job's state, datum counts, input and output commits, and what it ran.\n\n" + outputHelp + ".",
		Args:  exactArgs(1, "pipeline@job-id"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, args []string) error {
			pipeline, id, err := splitJobArg(args[0])
			if err != nil {
				return err
			}
			j, err := c.InspectJob(ctx, pipeline, id)
			if err != nil {
				return err
			}
			return printJob(p, j)
		}),
	}
	addOutputFlag(cmd, &output)
	return cmd
}

func printJob(p printer, j tusk.JobInfo) error {
	if p.json {
		return p.object(pachapi.JobInfoFrom(j))
	}
	inputs := make([]string, len(j.Inputs))
	for i, in := range j.Inputs {
		inputs[i] = in.Repo + "@" + in.ID
	}
	when := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return p.ago(*t)
	}
	tw := p.fields()
	row(tw, "ID:", j.ID)
	row(tw, "Pipeline:", fmt.Sprintf("%s (version %d)", j.Pipeline, j.PipelineVersion))
	row(tw, "State:", strings.ToLower(j.State))
	if j.Reason != "" {
		row(tw, "Reason:", j.Reason)
	}
	row(tw, "Created:", p.ago(j.Created))
	row(tw, "Started:", when(j.Started))
	row(tw, "Finished:", when(j.Finished))
	row(tw, "Duration:", jobDuration(j))
	row(tw, "Datums:", fmt.Sprintf("%d total: %d processed, %d skipped, %d failed, %d recovered",
		j.DataTotal, j.DataProcessed, j.DataSkipped, j.DataFailed, j.DataRecovered))
	row(tw, "Output Commit:", j.OutputCommit.Repo+"@"+j.OutputCommit.ID)
	row(tw, "Input Commits:", orDash(strings.Join(inputs, ", ")))
	row(tw, "Image:", orDash(j.Image))
	if j.ImageDigest != "" {
		row(tw, "Image Digest:", j.ImageDigest)
	}
	row(tw, "Command:", orDash(strings.Join(j.Cmd, " ")))
	row(tw, "Salt:", orDash(j.Salt))
	return tw.Flush()
}

func newWaitJobCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "job <pipeline>@<job-id> | <job-id>",
		Short: "Wait for jobs to end",
		Long: `Block until a job has ended (succeeded, failed, or was killed), then print
it. A bare job ID waits for every job of that commit set: all the pipelines
one change started.

` + outputHelp + ".",
		Args: exactArgs(1, "pipeline@job-id or a job ID"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, args []string) error {
			pipeline, id := "", args[0]
			if strings.Contains(id, "@") {
				var err error
				if pipeline, id, err = splitJobArg(id); err != nil {
					return err
				}
			}
			jobs, err := c.WaitJob(ctx, pipeline, id)
			if err != nil {
				return err
			}
			return printAllAs(p, jobHeader, jobCells(p), jobShape, jobs)
		}),
	}
	addOutputFlag(cmd, &output)
	return cmd
}

// newJobActionCommand is a command acting on one job.
func newJobActionCommand(g *globals, short, long string, act func(c *client.Client, ctx context.Context, pipeline, id string) error) *cobra.Command {
	return &cobra.Command{
		Use:   "job <pipeline>@<job-id>",
		Short: short,
		Long:  long,
		Args:  exactArgs(1, "pipeline@job-id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			pipeline, id, err := splitJobArg(args[0])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			return act(c, cmd.Context(), pipeline, id)
		},
	}
}

func newStopJobCommand(g *globals) *cobra.Command {
	return newJobActionCommand(g, "Kill a running job",
		"Kill a running job: it ends KILLED and its output commit is finished with an error.",
		(*client.Client).StopJob)
}

func newDeleteJobCommand(g *globals) *cobra.Command {
	return newJobActionCommand(g, "Delete a job's records",
		"Delete a job with its datums and logs, killing it first if it is running. Its output commit stays.",
		(*client.Client).DeleteJob)
}
