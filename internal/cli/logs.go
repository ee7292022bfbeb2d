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
	"github.com/tuskdata/tusk/internal/tusk"
)

// logsOptions are the flags of `logs`.
type logsOptions struct {
	pipeline, job, datum string
	follow               bool
	tail                 int
	output               string
	since                time.Duration
	master, worker       bool
	inputs               []string
}

func newLogsCommand(g *globals) *cobra.Command {
	var opts logsOptions
	cmd := &cobra.Command{
		Use:   "logs (-p <pipeline> | -j <pipeline>@<job-id>) [--datum <id>] [--inputs PATH,...] [--since D] [--master|--worker] [-f] [--tail N]",
		Short: "Print the logs of a pipeline, job or datum",
		Long: `Print the logs of a pipeline's workers: what its code wrote to standard output
and standard error, and what the workers said about each datum. -j narrows
them to one job, --datum to one datum, --inputs (with -j) to the datums of
those input files (their paths, comma-separated). --since D prints only the
lines of the last D (10m, 24h). --master prints only what Tusk itself said
(datums started, failed, retried), --worker only what the pipeline's code
wrote. --tail N prints only the N most recent lines. -f keeps printing new
lines as they come, until interrupted.

Lines are printed as they were written; with -o json each line is a JSON
object (NDJSON) with the pipeline, job, datum, worker, time (ts), whether
user code wrote it (user) and the message.`,
		Example: `  tusk logs -p edges
  tusk logs -j edges@0f6c2e8a5b3d4c1e9a7f8b6d5c4e3a21 --tail 20
  tusk logs -p edges -f`,
		Args: exactArgs(0, "no arguments (use -p or -j)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := g.printer(opts.output)
			if err != nil {
				return err
			}
			pipeline, job, err := logsTarget(opts)
			if err != nil {
				return err
			}
			if opts.tail < 0 {
				return usagef("--tail %d: want a positive number of lines", opts.tail)
			}
			if opts.master && opts.worker {
				return usagef("give --master or --worker, not both")
			}
			if len(opts.inputs) > 0 && job == "" {
				return usagef("--inputs needs the job: -j <pipeline>@<job-id>")
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			keep, err := logFilter(cmd.Context(), c, opts, pipeline, job)
			if err != nil {
				return err
			}
			err = runLogs(cmd.Context(), c, opts, pipeline, job, keep, p)
			if opts.follow && cmd.Context().Err() != nil {
				return nil // interrupted: the normal way to stop following
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.pipeline, "pipeline", "p", "", "the pipeline whose logs to print")
	f.StringVarP(&opts.job, "job", "j", "", "print only the logs of this job, pipeline@job-id")
	f.StringVar(&opts.datum, "datum", "", "print only the logs of this datum")
	f.BoolVarP(&opts.follow, "follow", "f", false, "keep printing new lines as they come")
	f.IntVarP(&opts.tail, "tail", "t", 0, "print only this many most recent lines (0: all), then follow with -f")
	f.DurationVar(&opts.since, "since", 0, "print only the lines of this last while, such as 10m or 24h (0: all)")
	f.BoolVar(&opts.master, "master", false, "print only what Tusk said about the datums, not what the code wrote")
	f.BoolVar(&opts.worker, "worker", false, "print only what the pipeline's code wrote")
	f.StringSliceVar(&opts.inputs, "inputs", nil, "print only the lines of the datums of these input files (paths; with -j)")
	addOutputFlag(cmd, &opts.output)
	return cmd
}

// logsTarget returns the pipeline and job that -p and -j name.
func logsTarget(opts logsOptions) (pipeline, job string, err error) {
	pipeline = opts.pipeline
	if opts.job != "" {
		p, id, err := splitJobArg(opts.job)
		if err != nil {
			return "", "", err
		}
		if pipeline != "" && pipeline != p {
			return "", "", usagef("-p %s and -j %s name different pipelines", pipeline, opts.job)
		}
		pipeline, job = p, id
	}
	if pipeline == "" {
		return "", "", usagef("give the pipeline with -p <pipeline> or the job with -j <pipeline>@<job-id>")
	}
	return pipeline, job, nil
}

// logFilter returns which lines --since, --master, --worker and --inputs
// keep.
func logFilter(ctx context.Context, c *client.Client, opts logsOptions, pipeline, job string) (func(tusk.LogLine) bool, error) {
	var datums map[string]bool // of --inputs
	if len(opts.inputs) > 0 {
		datums = map[string]bool{}
		err := c.ListDatums(ctx, pipeline, job, "", func(d tusk.DatumInfo) error {
			for _, in := range d.Inputs {
				for _, want := range opts.inputs {
					if strings.TrimPrefix(in.Path, "/") == strings.TrimPrefix(want, "/") {
						datums[d.ID] = true
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	var from time.Time
	if opts.since > 0 {
		from = time.Now().Add(-opts.since)
	}
	return func(l tusk.LogLine) bool {
		switch {
		case l.Time.Before(from), opts.master && l.User, opts.worker && !l.User:
			return false
		case datums != nil:
			return datums[l.Datum]
		}
		return true
	}, nil
}

// printLogLine prints a line of logs: its message, or with -o json the
// LogMessage pachctl's --raw prints.
func printLogLine(p printer, l tusk.LogLine) error {
	if p.json {
		return p.line(pachapi.LogMessageFrom(l))
	}
	_, err := fmt.Fprintln(p.out, l.Message)
	return err
}

func runLogs(ctx context.Context, c *client.Client, opts logsOptions, pipeline, job string, keep func(tusk.LogLine) bool, p printer) error {
	emit := func(l tusk.LogLine) error {
		if !keep(l) {
			return nil
		}
		return printLogLine(p, l)
	}
	if opts.tail == 0 {
		return c.Logs(ctx, pipeline, job, opts.datum, opts.follow, emit)
	}
	var lines []tusk.LogLine
	err := c.Logs(ctx, pipeline, job, opts.datum, false, func(l tusk.LogLine) error {
		lines = append(lines, l)
		return nil
	})
	if err != nil {
		return err
	}
	// The server sends lines by job and datum; the most recent are wanted.
	seen := map[string]int{} // lines already had, per job and datum
	for _, l := range lines {
		seen[l.Job+"/"+l.Datum]++
	}
	lines = slices.DeleteFunc(lines, func(l tusk.LogLine) bool { return !keep(l) })
	slices.SortStableFunc(lines, func(a, b tusk.LogLine) int { return a.Time.Compare(b.Time) })
	for _, l := range lines[max(0, len(lines)-opts.tail):] {
		if err := emit(l); err != nil {
			return err
		}
	}
	if !opts.follow {
		return nil
	}
	// Following starts from the first line again: skip those already had.
	return c.Logs(ctx, pipeline, job, opts.datum, true, func(l tusk.LogLine) error {
		key := l.Job + "/" + l.Datum
		if seen[key] > 0 {
			seen[key]--
			return nil
		}
		return emit(l)
	})
}
