package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/tlscert"
	"github.com/tuskdata/tusk/internal/tusk"
)

const configLong = `Manage the servers tusk talks to, as named contexts.

The configuration lives in $TUSK_CONFIG, else ~/.config/tusk/config.json:
  {"active_context": "local", "contexts": {"local": {"address": "127.0.0.1:1650", "token": "tusk_…"}}}

The file is readable by its owner only: it holds tokens. tusk up writes
the admin's token into the context of the address it listens on (making a
context "local" if there is none), and tusk auth login and logout change
the active context's. $TUSK_TOKEN overrides the token.

$TUSK_ADDRESS, when set, overrides the active context; a server it names
over https is trusted as the system's CAs, $TUSK_SERVER_CA (a PEM file) and
$TUSK_SERVER_FINGERPRINT say.`

func newConfigCommand(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "config", Short: "Manage server contexts", Long: configLong}
	c.AddCommand(
		newVerbCommand("set", "Set a context or the active context", newConfigSetContextCommand(g), newConfigSetActiveContextCommand(g)),
		newVerbCommand("get", "Print the active context, or a context's settings", newConfigGetActiveContextCommand(g), newConfigGetContextCommand(g)),
		newVerbCommand("list", "List contexts", newConfigListContextCommand(g)),
		newVerbCommand("delete", "Delete a context", newConfigDeleteContextCommand(g)),
	)
	return c
}

// readConfig loads the config file the environment points at and returns
// it with its path.
func (g *globals) readConfig() (string, config, error) {
	path, err := configPath(g.getenv)
	if err != nil {
		return "", config{}, err
	}
	c, err := loadConfig(path)
	return path, c, err
}

// editConfig loads the config, lets edit change it and saves it.
func editConfig(g *globals, edit func(*config) error) error {
	path, c, err := g.readConfig()
	if err != nil {
		return err
	}
	if err := edit(&c); err != nil {
		return err
	}
	return saveConfig(path, c)
}

func noContext(name string) error {
	return tusk.Errorf(tusk.KindNotFound, "context %q not found", name).
		WithHint("create it with: tusk config set context %s --address HOST:PORT", name)
}

const setContextLong = `Create a context, or change the settings given of an existing one.

--address is the server: host:port or http://host:port for a server on
this machine, https://host:port for one that serves TLS. A server whose
certificate no system CA signed (tusk up's self-signed one) is trusted with
--server-ca FILE (its certificate, DATA_DIR/tls/cert.pem, or its CA's, in
PEM) or --server-fingerprint (the SHA256:… tusk up prints); with both, the
certificate must pass both. --project is the project of the repos,
pipelines and jobs commands name when not given --project. An empty value
removes a setting.

Without any of these flags, the context is read as JSON from standard input
(what config get context prints; pachctl's pachd_address is taken too), and
replaces one of the same name only with --overwrite.`

func newConfigSetContextCommand(g *globals) *cobra.Command {
	var address, caFile, fingerprint string
	var overwrite bool
	cmd := &cobra.Command{
		Use:   "context <name> [--address <host:port|URL>] [--server-ca FILE] [--server-fingerprint SHA256:…] [--project P]",
		Short: "Create or change a context",
		Long:  setContextLong,
		Example: `  tusk config set context lab --address 10.0.0.5:1650
  tusk config set context lab --address https://10.0.0.5:1650 --server-fingerprint SHA256:9Gg…
  tusk config set context lab --address https://tusk.example:1650 --server-ca tusk-ca.pem
  tusk config set context lab --project staging
  tusk config set active-context lab`,
		Args: exactArgs(1, "a context name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			if !f.Changed("address") && !f.Changed("server-ca") && !f.Changed("server-fingerprint") && !f.Changed("project") {
				return g.setContextFromJSON(args[0], overwrite)
			}
			return editConfig(g, func(c *config) error {
				ctx, exists := c.Contexts[args[0]]
				if !exists && address == "" {
					return usagef("give the new context's server with --address HOST:PORT")
				}
				if f.Changed("address") {
					if ctx.Address != address {
						ctx.Token = "" // a token goes with the server it was for
					}
					ctx.Address = address
				}
				if f.Changed("project") {
					p := f.Lookup("project").Value.String()
					if p != "" {
						if err := tusk.ValidateProjectName(p); err != nil {
							return err
						}
					}
					ctx.Project = p
				}
				if f.Changed("server-ca") {
					ca, err := readServerCA(caFile)
					if err != nil {
						return err
					}
					ctx.ServerCA = ca
				}
				if f.Changed("server-fingerprint") {
					ctx.ServerFingerprint = ""
					if fingerprint != "" {
						fp, err := tlscert.ParseFingerprint(fingerprint)
						if err != nil {
							return err
						}
						ctx.ServerFingerprint = fp.String()
					}
				}
				if (ctx.ServerCA != "" || ctx.ServerFingerprint != "") && !strings.HasPrefix(ctx.Address, "https://") {
					return tusk.Errorf(tusk.KindInvalid, "context %s: --server-ca and --server-fingerprint apply to https servers, and the address is %s", args[0], ctx.Address).
						WithHint("give the address as https://HOST:PORT")
				}
				if c.Contexts == nil {
					c.Contexts = map[string]contextConfig{}
				}
				c.Contexts[args[0]] = ctx
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&address, "address", "", "the server's address: host:port or a URL (https:// for TLS)")
	f.StringVar(&caFile, "server-ca", "", "PEM file of the server's certificate or its CA, trusted in place of the system's CAs")
	f.StringVar(&fingerprint, "server-fingerprint", "", "the SHA-256 fingerprint of the server's certificate, as tusk up prints it")
	f.BoolVar(&overwrite, "overwrite", false, "with the context as JSON on standard input: replace a context of that name")
	return cmd
}

// setContextFromJSON sets context name to the JSON object on standard
// input (as config get context prints it; pachctl's pachd_address is
// taken for address), as pachctl's config set context does.
func (g *globals) setContextFromJSON(name string, overwrite bool) error {
	var in struct {
		contextConfig
		PachdAddress string `json:"pachd_address"`
	}
	dec := json.NewDecoder(g.stdin)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return usagef("give the context's settings as flags (--address ...), or as a JSON object on standard input: %v", err)
	}
	ctx := in.contextConfig
	if ctx.Address == "" {
		ctx.Address = in.PachdAddress
	}
	if ctx.Address == "" {
		return usagef("the context on standard input has no address")
	}
	if ctx.ServerCA != "" {
		if _, err := tlscert.Pool([]byte(ctx.ServerCA)); err != nil {
			return fmt.Errorf("server_ca: %w", err)
		}
	}
	return editConfig(g, func(c *config) error {
		if _, exists := c.Contexts[name]; exists && !overwrite {
			return tusk.Errorf(tusk.KindConflict, "context %q exists", name).WithHint("replace it with --overwrite")
		}
		if c.Contexts == nil {
			c.Contexts = map[string]contextConfig{}
		}
		c.Contexts[name] = ctx
		return nil
	})
}

func newConfigGetContextCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "context [<name>]",
		Short: "Print a context (default: the active one) as JSON",
		Long: `Print a context's settings as JSON, its token included (this is your own
configuration): what config set context NAME reads on standard input.`,
		Example: "  tusk config get context lab | tusk config set context lab2",
		Args:    rangeArgs(0, 1, "at most a context name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, c, err := g.readConfig()
			if err != nil {
				return err
			}
			name := c.ActiveContext
			if len(args) == 1 {
				name = args[0]
			}
			ctx, ok := c.Contexts[name]
			if !ok {
				return noContext(name)
			}
			enc := json.NewEncoder(g.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(ctx)
		},
	}
}

// readServerCA returns the PEM certificates in file, "" for no file.
func readServerCA(file string) (string, error) {
	if file == "" {
		return "", nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("--server-ca: %w", err)
	}
	if _, err := tlscert.Pool(data); err != nil {
		return "", fmt.Errorf("--server-ca %s: %w", file, err)
	}
	return string(data), nil
}

func newConfigSetActiveContextCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "active-context <name>",
		Short: "Choose the context commands use",
		Args:  exactArgs(1, "a context name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return editConfig(g, func(c *config) error {
				if _, ok := c.Contexts[args[0]]; !ok {
					return noContext(args[0])
				}
				c.ActiveContext = args[0]
				return nil
			})
		},
	}
}

func newConfigGetActiveContextCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "active-context",
		Short: "Print the name of the active context",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, c, err := g.readConfig()
			if err != nil {
				return err
			}
			if c.ActiveContext == "" {
				return tusk.Errorf(tusk.KindNotFound, "no active context; tusk uses $TUSK_ADDRESS or 127.0.0.1:1650").
					WithHint("choose one with: tusk config set active-context NAME")
			}
			fmt.Fprintln(g.stdout, c.ActiveContext)
			return nil
		},
	}
}

func newConfigListContextCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "context",
		Short: "List contexts; the active one is marked with *",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := g.printer(output)
			if err != nil {
				return err
			}
			_, c, err := g.readConfig()
			if err != nil {
				return err
			}
			return printContexts(p, c)
		},
	}
	addOutputFlag(cmd, &output)
	return cmd
}

// contextRow is a context as `config list context -o json` prints it.
type contextRow struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Active  bool   `json:"active"`
}

func printContexts(p printer, c config) error {
	var rows []contextRow
	for _, n := range c.contextNames() {
		rows = append(rows, contextRow{Name: n, Address: c.Contexts[n].Address, Active: n == c.ActiveContext})
	}
	return printAll(p, []string{"ACTIVE", "NAME", "ADDRESS"}, func(r contextRow) []string {
		mark := ""
		if r.Active {
			mark = "*"
		}
		return []string{mark, r.Name, r.Address}
	}, rows)
}

func newConfigDeleteContextCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "context <name>",
		Short: "Delete a context",
		Args:  exactArgs(1, "a context name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return editConfig(g, func(c *config) error {
				if _, ok := c.Contexts[args[0]]; !ok {
					return noContext(args[0])
				}
				delete(c.Contexts, args[0])
				if c.ActiveContext == args[0] {
					c.ActiveContext = ""
				}
				return nil
			})
		},
	}
}
