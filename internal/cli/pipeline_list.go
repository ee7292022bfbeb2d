package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/pachapi"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

var pipelineHeader = []string{"PROJECT", "NAME", "VERSION", "INPUT", "CREATED", "STATE / LAST JOB", "ALERTS", "DESCRIPTION"}

// pipelineCells are a pipeline's table cells. Tusk raises no alerts, so
// ALERTS is empty, as pachctl leaves it for a pipeline without any.
func pipelineCells(p printer) func(tusk.PipelineInfo) []string {
	return func(pi tusk.PipelineInfo) []string {
		return []string{spec.DefaultProject, pi.Name, strconv.Itoa(pi.Version), specInput(pi.Spec), p.ago(pi.Created), pipelineState(pi), "", orDash(pi.Description)}
	}
}

// pipelineState is the STATE / LAST JOB cell: "running / success".
func pipelineState(pi tusk.PipelineInfo) string {
	return strings.ToLower(orDash(pi.State)) + " / " + strings.ToLower(orDash(pi.LastJobState))
}

// specInput describes the input of a stored spec, or "-" if it cannot be
// read.
func specInput(raw json.RawMessage) string {
	var p spec.Pipeline
	if json.Unmarshal(raw, &p) != nil {
		return "-"
	}
	return inputString(p.Input)
}

// inputString describes an input tree the way pachctl does: repo:glob for
// a PFS input, name:schedule for a cron, and combinations in parentheses
// joined by ⨯ (cross), ∪ (union), ⋈ (join) or a "group" prefix.
func inputString(in *spec.Input) string {
	switch {
	case in == nil:
		return "none"
	case in.PFS != nil:
		return in.PFS.Repo + ":" + in.PFS.Glob
	case in.Cron != nil:
		return in.Cron.Name + ":" + in.Cron.Spec
	}
	parts := make([]string, len(in.Children()))
	for i, child := range in.Children() {
		parts[i] = inputString(child)
	}
	switch {
	case in.Cross != nil:
		return "(" + strings.Join(parts, " ⨯ ") + ")"
	case in.Union != nil:
		return "(" + strings.Join(parts, " ∪ ") + ")"
	case in.Join != nil:
		return "(" + strings.Join(parts, " ⋈ ") + ")"
	}
	return "group(" + strings.Join(parts, ", ") + ")"
}

// listPipelineOptions are the flags of `list pipeline`.
type listPipelineOptions struct {
	spec    bool
	history string
	states  []string
}

func newListPipelineCommand(g *globals) *cobra.Command {
	var opts listPipelineOptions
	var output string
	cmd := &cobra.Command{
		Use:   "pipeline [<pipeline>]",
		Short: "List pipelines",
		Long: `List pipelines (or one) with their version, input, state and the state of
their last job. --spec prints their specs instead, as JSON that create
pipeline -f accepts. --history N also lists the N versions before the
current one of a pipeline ("all" for every version).

` + outputHelp + ".",
		Example: `  tusk list pipeline
  tusk list pipeline edges --history all
  tusk list pipeline --spec > pipelines.json`,
		Args: rangeArgs(0, 1, "at most one pipeline name"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, args []string) error {
			history, err := parseHistory(opts.history)
			if err != nil {
				return err
			}
			if history >= 0 && len(args) == 0 {
				return usagef("--history needs a pipeline name")
			}
			keep, err := stateFilter(opts.states, "PIPELINE_", pipelineStates)
			if err != nil {
				return err
			}
			return runListPipeline(ctx, c, args, history, opts.spec, keep, p)
		}),
	}
	cmd.Flags().BoolVarP(&opts.spec, "spec", "s", false, "print the specs of the pipelines as JSON")
	cmd.Flags().StringVar(&opts.history, "history", "", `also list this many earlier versions of the pipeline, or "all"`)
	cmd.Flags().StringSliceVar(&opts.states, "state", nil, "list only pipelines in this state (repeatable, or comma-separated): "+strings.Join(pipelineStates, ", "))
	addOutputFlag(cmd, &output)
	return cmd
}

// parseHistory reads --history: -1 when not given (or "none", pachctl's
// default), 0 for all versions,
// else the number of versions to list, the current one included.
func parseHistory(s string) (int, error) {
	switch s {
	case "", "none":
		return -1, nil
	case "all", "-1":
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, usagef(`--history %q: want a number of versions or "all"`, s)
	}
	return n + 1, nil
}

// pipelineStates are the states --state takes.
var pipelineStates = []string{tusk.PipelineStarting, tusk.PipelineRunning, tusk.PipelineStandby, tusk.PipelinePaused, tusk.PipelineFailure, tusk.PipelineCrashing}

func runListPipeline(ctx context.Context, c *client.Client, args []string, history int, specs bool, keep func(string) bool, p printer) error {
	var infos []tusk.PipelineInfo
	switch {
	case len(args) == 0:
		var err error
		if infos, err = c.ListPipelines(ctx); err != nil {
			return err
		}
	default:
		cur, err := c.InspectPipeline(ctx, args[0])
		if err != nil {
			return err
		}
		infos = []tusk.PipelineInfo{cur}
		if history >= 0 {
			old, err := c.PipelineHistory(ctx, args[0], history)
			if err != nil {
				return err
			}
			infos = pipelineVersions(cur, old)
		}
	}
	infos = slices.DeleteFunc(infos, func(pi tusk.PipelineInfo) bool { return pi.State != "" && !keep(pi.State) })
	if specs {
		return printSpecs(p, infos)
	}
	return printAllAs(p, pipelineHeader, pipelineCells(p), as(pachapi.PipelineInfoFrom), infos)
}

// pipelineVersions turns the specs of a pipeline's versions, newest first,
// into PipelineInfos. Only the current version has a state and times.
func pipelineVersions(cur tusk.PipelineInfo, specs []json.RawMessage) []tusk.PipelineInfo {
	out := []tusk.PipelineInfo{cur}
	for i, raw := range specs[min(1, len(specs)):] {
		pi := tusk.PipelineInfo{Name: cur.Name, Version: cur.Version - 1 - i, Spec: raw}
		var s spec.Pipeline
		if json.Unmarshal(raw, &s) == nil {
			pi.Description, pi.OutputBranch = s.Description, s.OutputBranch
		}
		out = append(out, pi)
	}
	return out
}

// printSpecs prints the specs of pipelines: indented JSON objects in a row
// (which create pipeline -f reads back), or one per line with -o json.
func printSpecs(p printer, infos []tusk.PipelineInfo) error {
	out := p.object
	if p.json {
		out = p.line
	}
	for _, pi := range infos {
		if err := out(specValue(pi.Spec)); err != nil {
			return err
		}
	}
	return nil
}

func newInspectPipelineCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "pipeline <pipeline>",
		Short: "Show a pipeline's details and spec",
		Long:  "Show a pipeline's state, version, inputs and output, and its spec.\n\n" + outputHelp + ".",
		Args:  exactArgs(1, "a pipeline name"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, args []string) error {
			pi, err := c.InspectPipeline(ctx, args[0])
			if err != nil {
				return err
			}
			return printPipeline(p, pi)
		}),
	}
	addOutputFlag(cmd, &output)
	return cmd
}

func printPipeline(p printer, pi tusk.PipelineInfo) error {
	if p.json {
		return p.object(pachapi.PipelineInfoFrom(pi))
	}
	inputs := make([]string, len(pi.Inputs))
	for i, in := range pi.Inputs {
		inputs[i] = in.Repo + "@" + in.Branch
	}
	tw := p.fields()
	row(tw, "Name:", pi.Name)
	row(tw, "Description:", orDash(pi.Description))
	row(tw, "Version:", strconv.Itoa(pi.Version))
	row(tw, "State:", strings.ToLower(orDash(pi.State)))
	row(tw, "Stopped:", strconv.FormatBool(pi.Stopped))
	if pi.Reason != "" {
		row(tw, "Reason:", pi.Reason)
	}
	row(tw, "Last Job State:", strings.ToLower(orDash(pi.LastJobState)))
	row(tw, "Input:", specInput(pi.Spec))
	row(tw, "Input Branches:", orDash(strings.Join(inputs, ", ")))
	row(tw, "Output Branch:", pi.Name+"@"+pi.OutputBranch)
	if pi.ServiceAddress != "" {
		row(tw, "Service Address:", pi.ServiceAddress)
	}
	row(tw, "Created:", p.ago(pi.Created))
	row(tw, "Updated:", p.ago(pi.Updated))
	if err := tw.Flush(); err != nil {
		return err
	}
	if _, err := fmt.Fprint(p.out, "Spec:\n  "); err != nil {
		return err
	}
	enc := json.NewEncoder(p.out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("  ", "  ")
	return enc.Encode(specValue(pi.Spec))
}

// specValue is a stored spec ready to print: decoded, so that it prints
// without the escapes (\u003c for <) of specs stored by earlier versions,
// else as is.
func specValue(raw json.RawMessage) any {
	var p spec.Pipeline
	if json.Unmarshal(raw, &p) != nil {
		return raw
	}
	return &p
}
