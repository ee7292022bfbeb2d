package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

const specFileHelp = `The spec file holds one or more pipeline specs in Pachyderm's format, as
JSON (one object, several objects in a row, or an array of them) or YAML
(documents separated by ---); field names may be snake_case or camelCase.
-f - reads the specs from standard input.`

// pipelineSpecOptions are the flags of `create pipeline` and `update pipeline`.
type pipelineSpecOptions struct {
	file       string
	update     bool
	reprocess  bool
	dryRun     bool
	pushImages bool
	registry   string
	username   string
	jsonnet    string   // --jsonnet: a pipeline template
	args       []string // --arg name=value of the template
}

func newCreatePipelineCommand(g *globals) *cobra.Command {
	var opts pipelineSpecOptions
	cmd := &cobra.Command{
		Use:   "pipeline -f <spec>",
		Short: "Create pipelines from a spec file",
		Long: `Create the pipelines of a spec file. Each gets an output repo named after it,
and a first job runs over the current heads of its inputs; later commits to
its inputs start new jobs.

` + specFileHelp + `

With --dry-run the specs are checked by the server and described, with
how many datums the next job would run and skip over the inputs' heads,
and why (new, changed input files, failed before, --reprocess, or
unchanged); nothing is created. tusk list datum -f SPEC lists them one
by one. --jsonnet FILE takes a Jsonnet pipeline template
instead of -f, with its top-level arguments from --arg name=value, as
pachctl does.

` + pushImagesHelp,
		Example: `  tusk create pipeline -f edges.json
  tusk create pipeline -f pipelines.yaml --dry-run
  tusk create pipeline --jsonnet edges.jsonnet --arg suffix=1 --arg src=images
  docker build -t edges:dev . && tusk create pipeline -f edges.json --push-images --registry registry.example.com:5000`,
		Args: exactArgs(0, "no arguments (give the spec with -f)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCreatePipeline(cmd.Context(), g, opts)
		},
	}
	addSpecFlags(cmd, &opts)
	return cmd
}

func newUpdatePipelineCommand(g *globals) *cobra.Command {
	opts := pipelineSpecOptions{update: true}
	cmd := &cobra.Command{
		Use:   "pipeline -f <spec> [--reprocess]",
		Short: "Update pipelines from a spec file",
		Long: `Update pipelines to the specs of a file (a pipeline that does not exist yet
is created). Running jobs are killed and a new job runs over the current
inputs. Datums that the previous version processed successfully are skipped
and keep their output, unless --reprocess is given: then every datum runs
again with the new spec. --dry-run changes nothing and says how many datums
would run and be skipped, and why.

` + specFileHelp + `

` + pushImagesHelp,
		Example: `  tusk update pipeline -f edges.json
  tusk update pipeline -f edges.json --reprocess
  tusk update pipeline -f edges.json --dry-run
  tusk update pipeline -f edges.json --push-images -r registry.example.com:5000`,
		Args: exactArgs(0, "no arguments (give the spec with -f)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCreatePipeline(cmd.Context(), g, opts)
		},
	}
	addSpecFlags(cmd, &opts)
	cmd.Flags().BoolVar(&opts.reprocess, "reprocess", false, "run every datum again, even those processed successfully before")
	return cmd
}

func addSpecFlags(cmd *cobra.Command, opts *pipelineSpecOptions) {
	cmd.Flags().StringVarP(&opts.file, "file", "f", "", "the spec file, or - for standard input")
	cmd.Flags().BoolVar(&opts.dryRun, "dry-run", false, "check the specs and describe what would change, without changing anything")
	cmd.Flags().StringVar(&opts.jsonnet, "jsonnet", "", "a Jsonnet pipeline template to evaluate into the specs, instead of -f")
	cmd.Flags().StringArrayVar(&opts.args, "arg", nil, "name=value: a top-level argument of the --jsonnet template (repeatable)")
	cmd.Flags().BoolVarP(&opts.pushImages, "push-images", "p", false, "push each spec's image from the local Docker engine to --registry, and run what was pushed")
	cmd.Flags().StringVarP(&opts.registry, "registry", "r", "docker.io", "the registry --push-images pushes to (host[:port][/path])")
	cmd.Flags().StringVarP(&opts.username, "username", "u", "", "log in to --registry as this user first (docker login asks for the password)")
}

const pushImagesHelp = `With --push-images each spec's transform.image, as the local Docker engine
has it (docker build -t NAME .), is pushed with the docker CLI to --registry
under a tag made of its image ID, and the pipeline runs exactly what was
pushed (REGISTRY/NAME:TAG@sha256:DIGEST), so that workers on other hosts run
the image just built. Give --username to log in first; else the docker CLI's
own login for that registry is used.`

// readSpecFile reads the spec file named by -f.
func (g *globals) readSpecFile(name string) ([]byte, error) {
	switch name {
	case "":
		return nil, usagef("give the pipeline spec with -f <file> (or -f - for standard input)")
	case "-":
		data, err := io.ReadAll(g.stdin)
		if err != nil {
			return nil, fmt.Errorf("read the spec from standard input: %w", err)
		}
		return data, nil
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read the spec: %w", err)
	}
	return data, nil
}

func runCreatePipeline(ctx context.Context, g *globals, opts pipelineSpecOptions) error {
	var data []byte
	var err error
	switch {
	case opts.jsonnet != "" && opts.file != "":
		return usagef("give the specs with -f or a template with --jsonnet, not both")
	case opts.jsonnet != "":
		data, err = evalJSONNet(opts.jsonnet, opts.args)
	case len(opts.args) > 0:
		return usagef("--arg goes with --jsonnet")
	default:
		data, err = g.readSpecFile(opts.file)
	}
	if err != nil {
		return err
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	if opts.pushImages && !opts.dryRun {
		if data, err = g.pushSpecImages(ctx, opts, data); err != nil {
			return err
		}
	}
	if opts.dryRun {
		return dryRunPipelines(ctx, c, opts, data, g.stdout)
	}
	c, done, err := g.inTxn(c)
	if err != nil {
		return err
	}
	_, err = c.CreatePipeline(ctx, data, opts.update, opts.reprocess, false)
	return done(err)
}

// dryRunPipelines has the server check the specs, then describes them
// and the datums each would run and skip now.
func dryRunPipelines(ctx context.Context, c *client.Client, opts pipelineSpecOptions, data []byte, w io.Writer) error {
	if _, err := c.CreatePipeline(ctx, data, opts.update, opts.reprocess, true); err != nil {
		return err
	}
	ps, err := spec.Parse(data)
	if err != nil {
		return err
	}
	change := "created"
	switch {
	case opts.update && opts.reprocess:
		change = "updated, reprocessing every datum"
	case opts.update:
		change = "updated, skipping datums already processed"
	}
	for i := range ps {
		p := &ps[i]
		spec.SortInput(p.Input)
		fmt.Fprintf(w, "pipeline %s would be %s: input %s, output %s@%s\n",
			p.Name(), change, inputString(p.Input), p.Name(), p.OutputBranch)
		if opts.pushImages {
			fmt.Fprintf(w, "  its image %s would be pushed to %s\n", p.Transform.Image, opts.registry)
		}
		if err := describeDryRunDatums(ctx, c, p, opts.reprocess, w); err != nil {
			return fmt.Errorf("dry run of pipeline %s: %w", p.Name(), err)
		}
	}
	return nil
}

// describeDryRunDatums prints how many datums the next job of p would
// run and skip over its inputs' heads, by reason.
func describeDryRunDatums(ctx context.Context, c *client.Client, p *spec.Pipeline, reprocess bool, w io.Writer) error {
	one, err := json.Marshal(p)
	if err != nil {
		return err
	}
	type reason struct {
		state, why string
		n          int
	}
	var reasons []*reason
	byWhy := map[string]*reason{}
	run, skip := 0, 0
	err = c.DryRunDatums(ctx, one, reprocess, func(d tusk.DatumInfo) error {
		if d.State == tusk.DatumSkipped {
			skip++
		} else {
			run++
		}
		r := byWhy[d.State+d.Reason]
		if r == nil {
			r = &reason{state: d.State, why: d.Reason}
			byWhy[d.State+d.Reason] = r
			reasons = append(reasons, r)
		}
		r.n++
		return nil
	})
	if err != nil {
		return err
	}
	if run+skip == 0 {
		fmt.Fprintln(w, "  no datums now: its inputs have no files that match yet")
		return nil
	}
	fmt.Fprintf(w, "  %s over the inputs' heads: %d would run, %d would be skipped\n",
		plural(run+skip, "datum", "datums"), run, skip)
	slices.SortStableFunc(reasons, func(a, b *reason) int { return cmp.Compare(b.n, a.n) })
	for _, r := range reasons {
		verb := "run"
		if r.state == tusk.DatumSkipped {
			verb = "skip"
		}
		fmt.Fprintf(w, "    %6d %-4s  %s\n", r.n, verb, r.why)
	}
	return nil
}

// pushSpecImages pushes the images of the specs in data (--push-images)
// and returns the specs that run what was pushed.
func (g *globals) pushSpecImages(ctx context.Context, opts pipelineSpecOptions, data []byte) ([]byte, error) {
	if opts.registry == "" {
		return nil, usagef("--push-images needs a --registry")
	}
	ps, err := spec.Parse(data)
	if err != nil {
		return nil, err
	}
	p, err := newImagePusher(opts.registry, g.stderr)
	if err != nil {
		return nil, err
	}
	if opts.username != "" {
		if err := p.login(ctx, opts.username, g.stdin, g.stderr); err != nil {
			return nil, err
		}
	}
	if err := p.pushImages(ctx, ps); err != nil {
		return nil, err
	}
	for _, s := range ps {
		fmt.Fprintf(g.stderr, "pipeline %s runs image %s\n", s.Name(), s.Transform.Image)
	}
	out, err := json.Marshal(ps)
	if err != nil {
		return nil, fmt.Errorf("write the specs with the pushed images: %w", err)
	}
	return out, nil
}

func newValidatePipelineCommand(g *globals) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "pipeline -f <spec>",
		Short: "Check a pipeline spec file without a server",
		Long: `Check the pipeline specs of a file locally, without a server: fields, names,
inputs and globs. Prints "ok: N pipeline(s)", or what is wrong and where.
Whether input repos exist is only checked when the pipeline is created.

` + specFileHelp,
		Example: "  tusk validate pipeline -f edges.json",
		Args:    exactArgs(0, "no arguments (give the spec with -f)"),
		RunE: func(_ *cobra.Command, _ []string) error {
			data, err := g.readSpecFile(file)
			if err != nil {
				return err
			}
			ps, err := spec.Parse(data)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "ok: %s\n", plural(len(ps), "pipeline", "pipelines"))
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the spec file, or - for standard input")
	return cmd
}
