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

var datumHeader = []string{"ID", "FILES", "STATUS", "TIME"}

var datumStates = []string{tusk.DatumQueued, tusk.DatumStarting, tusk.DatumRunning, tusk.DatumSuccess, tusk.DatumSkipped, tusk.DatumFailed, tusk.DatumRecovered}

func datumCells(d tusk.DatumInfo) []string {
	return []string{d.ID, datumFiles(d), strings.ToLower(orDash(d.State)), datumTime(d)}
}

// datumFiles lists a datum's inputs as repo@commit:/path.
func datumFiles(d tusk.DatumInfo) string {
	files := make([]string, len(d.Inputs))
	for i, in := range d.Inputs {
		files[i] = in.Source(in.Path)
	}
	return strings.Join(files, ", ")
}

// datumTime is how long a datum's last attempt took, else "-".
func datumTime(d tusk.DatumInfo) string {
	if d.Started == nil || d.Finished == nil {
		return "-"
	}
	return humanDuration(d.Finished.Sub(*d.Started))
}

// listDatumOptions are the flags of `list datum`.
type listDatumOptions struct {
	state, file string
}

func newListDatumCommand(g *globals) *cobra.Command {
	var opts listDatumOptions
	var output string
	cmd := &cobra.Command{
		Use:   "datum (<pipeline>@<job-id> | -f <spec>)",
		Short: "List the datums of a job",
		Long: `List the datums of a job in order, with the input files of each (as
repo@commit:/path), their state and how long they took; --state keeps one
state (queued, running, success, skipped, failed or recovered).

With -f, nothing is run: the datums that the spec's pipeline would make from
the current heads of its inputs are listed, to check globs and joins.

` + outputHelp + ".",
		Example: "  tusk list datum edges@0f6c2e8a5b3d4c1e9a7f8b6d5c4e3a21 --state failed\n  tusk list datum -f edges.json",
		Args:    rangeArgs(0, 1, "pipeline@job-id (or -f <spec>)"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, args []string) error {
			if (opts.file != "") == (len(args) == 1) {
				return usagef("give either pipeline@job-id or -f <spec>")
			}
			state := strings.ToUpper(opts.state)
			if state != "" && !slices.Contains(datumStates, state) {
				return usagef("--state %q: want one of %s", opts.state, strings.ToLower(strings.Join(datumStates, ", ")))
			}
			l := newListAs(p, datumHeader, datumCells, as(pachapi.DatumInfoFrom))
			var err error
			if opts.file != "" {
				err = dryRunDatums(ctx, g, c, opts.file, l.add)
			} else {
				err = listDatums(ctx, c, args[0], state, l.add)
			}
			if err != nil {
				return err
			}
			return l.flush()
		}),
	}
	cmd.Flags().StringVar(&opts.state, "state", "", "list only datums in this state")
	cmd.Flags().StringVarP(&opts.file, "file", "f", "", "list the datums a pipeline spec would make now, or - for standard input")
	addOutputFlag(cmd, &output)
	return cmd
}

func listDatums(ctx context.Context, c *client.Client, arg, state string, fn func(tusk.DatumInfo) error) error {
	pipeline, job, err := splitJobArg(arg)
	if err != nil {
		return err
	}
	return c.ListDatums(ctx, pipeline, job, state, fn)
}

func dryRunDatums(ctx context.Context, g *globals, c *client.Client, file string, fn func(tusk.DatumInfo) error) error {
	data, err := g.readSpecFile(file)
	if err != nil {
		return err
	}
	return c.DryRunDatums(ctx, data, false, fn)
}

func newInspectDatumCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "datum <pipeline>@<job-id> <datum-id>",
		Short: "Show a datum's details",
		Long:  "Show a datum's state, attempts, input files, outputs and timing.\n\n" + outputHelp + ".",
		Args:  exactArgs(2, "pipeline@job-id and a datum ID"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, args []string) error {
			pipeline, job, err := splitJobArg(args[0])
			if err != nil {
				return err
			}
			d, err := c.InspectDatum(ctx, pipeline, job, args[1])
			if err != nil {
				return err
			}
			return printDatum(p, d)
		}),
	}
	addOutputFlag(cmd, &output)
	return cmd
}

func printDatum(p printer, d tusk.DatumInfo) error {
	if p.json {
		return p.object(pachapi.DatumInfoFrom(d))
	}
	when := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return p.ago(*t)
	}
	tw := p.fields()
	row(tw, "ID:", d.ID)
	row(tw, "Job:", d.Pipeline+"@"+d.Job)
	row(tw, "State:", strings.ToLower(orDash(d.State)))
	if d.Reason != "" {
		row(tw, "Reason:", d.Reason)
	}
	row(tw, "Attempts:", fmt.Sprint(d.Attempts))
	row(tw, "Worker:", orDash(d.Worker))
	row(tw, "Started:", when(d.Started))
	row(tw, "Finished:", when(d.Finished))
	row(tw, "Time:", datumTime(d))
	row(tw, "Hash:", orDash(d.Hash))
	row(tw, "Inputs:", "")
	for _, in := range d.Inputs {
		row(tw, "  "+in.Name+":", in.Source(in.Path))
	}
	row(tw, "Outputs:", orDash(strings.Join(d.Outputs, ", ")))
	return tw.Flush()
}

func newRestartDatumCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "datum <pipeline>@<job-id> <datum-id-or-path>[,...]",
		Short: "Restart running datums of a job",
		Long: `Cancel the running attempt of the datums of a job that match: by datum ID,
or by the path of one of their input files. The cancelled attempt counts as
a failed one and the datum is retried while it has attempts left.`,
		Example: "  tusk restart datum edges@0f6c2e8a5b3d4c1e9a7f8b6d5c4e3a21 /big.png,/huge.png",
		Args:    exactArgs(2, "pipeline@job-id and datum IDs or paths, comma-separated"),
		RunE: func(cmd *cobra.Command, args []string) error {
			pipeline, job, err := splitJobArg(args[0])
			if err != nil {
				return err
			}
			var match []string
			for m := range strings.SplitSeq(args[1], ",") {
				if m = strings.TrimSpace(m); m != "" {
					match = append(match, m)
				}
			}
			if len(match) == 0 {
				return usagef("give datum IDs or input paths to restart, comma-separated")
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			n, err := c.RestartDatum(cmd.Context(), pipeline, job, match)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "restarted %s\n", plural(n, "datum", "datums"))
			return nil
		},
	}
}
