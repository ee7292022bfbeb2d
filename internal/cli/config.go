package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/tusk"
)

const configLong = `Manage the servers tusk talks to, as named contexts.

The configuration lives in $TUSK_CONFIG, else ~/.config/tusk/config.json:
  {"active_context": "local", "contexts": {"local": {"address": "127.0.0.1:1650"}}}

$TUSK_ADDRESS, when set, overrides the active context.`

func newConfigCommand(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "config", Short: "Manage server contexts", Long: configLong}
	c.AddCommand(
		newVerbCommand("set", "Set a context or the active context", newConfigSetContextCommand(g), newConfigSetActiveContextCommand(g)),
		newVerbCommand("get", "Print the active context", newConfigGetActiveContextCommand(g)),
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

func newConfigSetContextCommand(g *globals) *cobra.Command {
	var address string
	cmd := &cobra.Command{
		Use:     "context <name> --address <host:port>",
		Short:   "Create or change a context",
		Example: "  tusk config set context lab --address 10.0.0.5:1650\n  tusk config set active-context lab",
		Args:    exactArgs(1, "a context name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if address == "" {
				return usagef("give the context's server with --address HOST:PORT")
			}
			return editConfig(g, func(c *config) error {
				if c.Contexts == nil {
					c.Contexts = map[string]contextConfig{}
				}
				c.Contexts[args[0]] = contextConfig{Address: address}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&address, "address", "", "the server's address: host:port or a URL")
	return cmd
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
