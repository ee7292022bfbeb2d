package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
)

const defaultsLong = `The cluster's pipeline defaults are fields of a pipeline spec that every
spec created or updated afterwards gets unless it sets them itself (objects
merge field by field; a field the spec sets to null drops the default).
inspect pipeline shows the effective spec. The file is as pachctl writes
it, {"create_pipeline_request": {...}}, or the spec fields alone, in JSON or
YAML. --cluster is the only scope (as pachctl's; Tusk has one project).`

func newDefaultsCommand(g *globals, verb string) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "defaults --cluster -f <file>",
		Short: map[string]string{"create": "Set the cluster's pipeline defaults", "update": "Replace the cluster's pipeline defaults"}[verb],
		Long:  defaultsLong,
		Example: `  echo '{"create_pipeline_request": {"datum_tries": 5, "resource_requests": {"memory": "1G"}}}' > defaults.json
  tusk ` + verb + ` defaults --cluster -f defaults.json`,
		Args: exactArgs(0, "no arguments (give the defaults with -f)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			data, err := g.readSpecFile(file)
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			return c.SetDefaults(cmd.Context(), data)
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the defaults file, or - for standard input")
	cmd.Flags().Bool("cluster", true, "the cluster's defaults (the only scope)")
	return cmd
}

func newInspectDefaultsCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "defaults --cluster",
		Short: "Print the cluster's pipeline defaults",
		Long:  defaultsLong,
		Args:  exactArgs(0, "no arguments"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, _ []string) error {
			d, err := c.Defaults(ctx)
			if err != nil {
				return err
			}
			var v any
			if err := json.Unmarshal(d, &v); err != nil {
				return fmt.Errorf("the server's defaults: %w", err)
			}
			return p.object(v)
		}),
	}
	cmd.Flags().Bool("cluster", true, "the cluster's defaults (the only scope)")
	addOutputFlag(cmd, &output)
	return cmd
}

func newDeleteDefaultsCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "defaults --cluster",
		Short: "Remove the cluster's pipeline defaults",
		Long:  defaultsLong,
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			return c.DeleteDefaults(cmd.Context())
		},
	}
	cmd.Flags().Bool("cluster", true, "the cluster's defaults (the only scope)")
	return cmd
}
