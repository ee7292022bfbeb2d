package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/pachapi"
	"github.com/tuskdata/tusk/internal/server"
)

// versionInfo is the versions `tusk version` prints; Server is nil when
// the server is not reachable (or with --client-only).
type versionInfo struct {
	Client string       `json:"client"`
	Server *client.Info `json:"server"`
}

func newVersionCommand(g *globals) *cobra.Command {
	var clientOnly bool
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the versions of tusk and of the server",
		Long: `Print the version of this tusk binary and, when it can be reached, of the
server it talks to. An unreachable server is reported on standard error and
does not make the command fail. With -o json, as pachctl's --raw, it prints
two objects: the client's version, then the server's.

` + outputHelp + ".",
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := g.printer(output)
			if err != nil {
				return err
			}
			// The binary holds the server too, so they share a version.
			v := versionInfo{Client: server.Version}
			if !clientOnly {
				v.Server = serverInfo(cmd.Context(), g)
			}
			return printVersion(p, v)
		},
	}
	cmd.Flags().BoolVar(&clientOnly, "client-only", false, "do not ask the server for its version")
	addOutputFlag(cmd, &output)
	return cmd
}

// serverInfo asks the server for its version; problems are warnings.
func serverInfo(ctx context.Context, g *globals) *client.Info {
	c, err := g.client()
	if err == nil {
		var info client.Info
		if info, err = c.Info(ctx); err == nil {
			return &info
		}
	}
	fmt.Fprintf(g.stderr, "warning: no server version: %v\n", err)
	return nil
}

// printVersion prints the versions as a table, or as pachctl's --raw does:
// the client's Version object, then the server's.
func printVersion(p printer, v versionInfo) error {
	if p.json {
		if err := p.object(pachapi.VersionFrom(v.Client)); err != nil || v.Server == nil {
			return err
		}
		return p.object(pachapi.VersionFrom(v.Server.Version))
	}
	tw := p.table("COMPONENT", "VERSION")
	row(tw, "tusk", v.Client)
	if v.Server != nil {
		row(tw, "server", fmt.Sprintf("%s (api %s, format %d, metadata %s)", v.Server.Version, v.Server.APIVersion, v.Server.FormatVersion, v.Server.Metadata))
	}
	return tw.Flush()
}
