package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
)

// addSecretCommands adds the secret noun to the verbs create, list,
// inspect and delete of root.
func addSecretCommands(g *globals, root *cobra.Command) {
	nouns := map[string]*cobra.Command{
		"create":  newCreateSecretCommand(g),
		"list":    newListSecretCommand(g),
		"inspect": newInspectSecretCommand(g),
		"delete":  newDeleteSecretCommand(g),
	}
	for _, verb := range root.Commands() {
		if n := nouns[verb.Name()]; n != nil {
			n.Aliases = append(n.Aliases, pluralNoun(n.Name()))
			verb.AddCommand(n)
		}
	}
}

const createSecretLong = `Create a secret from a Kubernetes Secret manifest, JSON or YAML, as
pachctl takes it:

  apiVersion: v1
  kind: Secret
  metadata:
    name: db-creds
  type: Opaque
  data:
    username: YWRtaW4=     # base64
  stringData:
    password: s3cr3t       # text

The server keeps the values sealed (AES-256-GCM, under its secret key), and
no command prints them: list and inspect show names, types, keys and sizes.
Pipelines name secrets in transform.secrets. Only cluster admins may
create, list, inspect and delete secrets.`

func newCreateSecretCommand(g *globals) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:     "secret -f FILE",
		Short:   "Create a secret from a Kubernetes Secret manifest",
		Long:    createSecretLong,
		Example: "  tusk create secret -f db-creds.yaml\n  kubectl create secret generic tok --from-literal=token=abc --dry-run=client -o json | tusk create secret -f -",
		Args:    exactArgs(0, "no arguments (give the manifest with -f)"),
		RunE: g.onServer(nil, func(ctx context.Context, c *client.Client, _ printer, _ []string) error {
			manifest, err := g.readManifest(file)
			if err != nil {
				return err
			}
			_, err = c.CreateSecret(ctx, manifest)
			return err
		}),
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the manifest file, or - for standard input")
	return cmd
}

// readManifest reads the manifest named by -f.
func (g *globals) readManifest(name string) ([]byte, error) {
	switch name {
	case "":
		return nil, usagef("give the secret's manifest with -f <file> (or -f - for standard input)")
	case "-":
		data, err := io.ReadAll(g.stdin)
		if err != nil {
			return nil, fmt.Errorf("read the manifest from standard input: %w", err)
		}
		return data, nil
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read the manifest: %w", err)
	}
	return data, nil
}

func newListSecretCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "secret",
		Short: "List secrets",
		Long:  "List secrets with their type and creation time, never their values.\n\n" + outputHelp + ".",
		Args:  exactArgs(0, "no arguments"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, _ []string) error {
			secrets, err := c.ListSecrets(ctx)
			if err != nil {
				return err
			}
			return printAll(p, []string{"NAME", "TYPE", "CREATED"}, func(s tusk.SecretInfo) []string {
				return []string{s.Name, s.Type, p.ago(s.Created)}
			}, secrets)
		}),
	}
	addOutputFlag(cmd, &output)
	return cmd
}

func newInspectSecretCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "secret <name>",
		Short: "Show a secret's keys and the size of each value",
		Long:  "Show a secret's type, creation time, keys and the size of each value, never the values.\n\n" + outputHelp + ".",
		Args:  exactArgs(1, "a secret name"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, args []string) error {
			s, err := c.InspectSecret(ctx, args[0])
			if err != nil {
				return err
			}
			if p.json {
				return p.object(s)
			}
			tw := p.fields()
			row(tw, "Name:", s.Name)
			row(tw, "Type:", s.Type)
			row(tw, "Created:", p.ago(s.Created))
			row(tw, "Keys:")
			for _, k := range s.Keys {
				row(tw, "  "+k.Key, strconv.Itoa(k.Size)+" bytes")
			}
			return tw.Flush()
		}),
	}
	addOutputFlag(cmd, &output)
	return cmd
}

func newDeleteSecretCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "secret <name>",
		Short: "Delete a secret",
		Args:  exactArgs(1, "a secret name"),
		RunE: g.onServer(nil, func(ctx context.Context, c *client.Client, _ printer, args []string) error {
			return c.DeleteSecret(ctx, args[0])
		}),
	}
}
