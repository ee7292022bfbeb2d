package cli

import (
	"context"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
)

// clusterInfo is what inspect cluster prints: pachctl's ID and
// deployment ID (one and the same here), and what the server says of itself.
type clusterInfo struct {
	ID           string `json:"id"`
	DeploymentID string `json:"deployment_id"`
	client.Info
}

func newInspectClusterCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Show the cluster's ID and the server's version",
		Long: `Show the cluster's ID (the same on every server that shares its metadata
store), the version of the server answering, its metadata store and whether
it leads (runs the pipelines).

` + outputHelp + ".",
		Args: exactArgs(0, "no arguments"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, _ []string) error {
			info, err := c.Info(ctx)
			if err != nil {
				return err
			}
			ci := clusterInfo{ID: info.ClusterID, DeploymentID: info.ClusterID, Info: info}
			if p.json {
				return p.object(ci)
			}
			tw := p.fields()
			row(tw, "ID:", ci.ID)
			row(tw, "Version:", info.Version)
			row(tw, "Metadata:", info.Metadata)
			row(tw, "Leader:", strconv.FormatBool(info.Leader))
			return tw.Flush()
		}),
	}
	addOutputFlag(cmd, &output)
	return cmd
}
