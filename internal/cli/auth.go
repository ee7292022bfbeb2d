package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
)

const authLong = `Authentication and roles, as with pachctl auth.

Every request to a tusk server carries a token. tusk up writes a cluster
admin's token into your CLI configuration; other people and programs get
robot tokens (tusk auth get-robot-token) and log in with them. Roles:
repoReader, repoWriter and repoOwner on a repo (creating a repo makes you its
owner), clusterAdmin on the cluster. Subjects are user:NAME, robot:NAME and
pipeline:NAME (each pipeline runs as its own, with reader on its inputs and
writer on its output).`

func newAuthCommand(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "auth", Short: "Log in, issue tokens and manage roles", Long: authLong}
	c.AddCommand(
		newAuthLoginCommand(g), newAuthWhoAmICommand(g), newAuthLogoutCommand(g),
		newAuthRobotTokenCommand(g), newAuthWorkerTokenCommand(g), newAuthRevokeCommand(g),
		newAuthActivateCommand(g), newAuthDeactivateCommand(g),
		newVerbCommand("set", "Set a subject's roles on a repo or the cluster",
			newAuthSetCommand(g, "repo"), newAuthSetCommand(g, "cluster")),
		newVerbCommand("get", "List the role bindings on a repo or the cluster",
			newAuthGetCommand(g, "repo"), newAuthGetCommand(g, "cluster")),
		newVerbCommand("check", "Show your roles on a repo or the cluster",
			newAuthCheckCommand(g, "repo"), newAuthCheckCommand(g, "cluster")),
	)
	return c
}

// setToken records token as the one to send server: in the context of
// its address, else in a new context "local" (or "local-PORT") of server,
// which becomes active if none is. It returns the context's name.
func (c *config) setToken(server contextConfig, token string) string {
	name, ok := c.contextOf(server.Address)
	if !ok {
		name = "local"
		if _, taken := c.Contexts[name]; taken {
			u, err := url.Parse(server.Address)
			if err != nil || u.Port() == "" {
				u = &url.URL{Host: server.Address}
			}
			name = "local-" + u.Port()
		}
	}
	if c.Contexts == nil {
		c.Contexts = map[string]contextConfig{}
	}
	cc, exists := c.Contexts[name]
	if !exists {
		cc = server
	}
	cc.Token = token
	c.Contexts[name] = cc
	if c.ActiveContext == "" {
		c.ActiveContext = name
	}
	return name
}

// saveToken records token for the server the environment points at.
func (g *globals) saveToken(token string) (string, error) {
	server, err := resolveServer(g.getenv)
	if err != nil {
		return "", err
	}
	server.Token = ""
	var name string
	err = editConfig(g, func(c *config) error {
		name = c.setToken(server, token)
		return nil
	})
	return name, err
}

func newAuthLoginCommand(g *globals) *cobra.Command {
	var token string
	var console, noBrowser bool
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log in with a token, or open the console",
		Long: `Log in: check a token with the server and keep it in the CLI configuration
for the server's context. Give it with --token, or paste it when asked.

Without --token, at a server with an OpenID Provider (tusk up --oidc-issuer),
log in there instead: tusk prints the provider's URL and opens it in a
browser if this is a desktop session; once you have logged in, the server
hands tusk a token of your user.

With --console, print a one-time link that opens the console in a browser
as whoever your current token speaks for.`,
		Example: "  tusk auth login --token tusk_…\n  tusk auth login --console",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if console {
				code, err := c.LoginCode(cmd.Context())
				if err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "%s/login?code=%s\n", c.Address(), code)
				return nil
			}
			if token == "" {
				res, ok, err := loginOIDC(cmd.Context(), g, c, !noBrowser)
				if err != nil {
					return err
				}
				if ok {
					name, err := g.saveToken(res.Token)
					if err != nil {
						return err
					}
					fmt.Fprintf(g.stdout, "logged in as %s (context %s)\n", res.Subject, name)
					return nil
				}
				fmt.Fprint(g.stderr, "Token: ")
				line, err := bufio.NewReader(g.stdin).ReadString('\n')
				if token = strings.TrimSpace(line); token == "" {
					return usagef("no token given (%v): pass --token TOKEN, or paste one", err)
				}
			}
			who, err := c.As(token).WhoAmI(cmd.Context())
			if err != nil {
				return err
			}
			name, err := g.saveToken(token)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "logged in as %s (context %s)\n", who.Subject, name)
			return nil
		},
	}
	cmd.Flags().StringVar(&token, "token", "", "the token to log in with")
	cmd.Flags().BoolVar(&console, "console", false, "print a one-time link that opens the console")
	cmd.Flags().BoolVar(&noBrowser, "no-browser", false, "print the OpenID Provider's URL without opening a browser")
	return cmd
}

func newAuthWhoAmICommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Print who your token speaks for",
		Args:  exactArgs(0, "no arguments"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, _ []string) error {
			who, err := c.WhoAmI(ctx)
			if err != nil {
				return err
			}
			if p.json {
				return p.object(who)
			}
			if !who.Active {
				fmt.Fprintln(p.out, "authentication is off: every request may do anything")
				return nil
			}
			w := p.fields()
			row(w, "Subject:", who.Subject)
			row(w, "Cluster admin:", fmt.Sprint(who.Admin))
			return w.Flush()
		}),
	}
	addOutputFlag(cmd, &output)
	return cmd
}

func newAuthLogoutCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Revoke your token and forget it",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			server, err := resolveServer(g.getenv)
			if err != nil {
				return err
			}
			if server.Token == "" {
				return tusk.Errorf(tusk.KindNotFound, "not logged in to %s", server.Address)
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.RevokeToken(cmd.Context(), server.Token); err != nil && !errors.Is(err, tusk.ErrUnauthenticated) && !errors.Is(err, tusk.ErrNotFound) {
				return err
			}
			return editConfig(g, func(c *config) error {
				if name, ok := c.contextOf(server.Address); ok {
					cc := c.Contexts[name]
					cc.Token = ""
					c.Contexts[name] = cc
				}
				return nil
			})
		},
	}
}

func newAuthWorkerTokenCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "get-worker-token <pipeline>",
		Short: "Issue a token for workers of a pipeline started elsewhere (cluster admins)",
		Long: `Issue a new token of pipeline:NAME for workers that you start yourself on other
hosts (tusk worker), as with a server started with --runner external. It may
do what the pipeline's own workers may: claim its datums, read the input
commits of its running jobs, write its output. It is shown once; revoke it
with tusk auth revoke, and deleting the pipeline revokes it.`,
		Example: "  TUSK_WORKER_TOKEN=$(tusk auth get-worker-token edges --ttl 720h) \\\n" +
			"    tusk worker --pipeline edges --address https://tusk.example.com:1650 --server-ca ca.pem",
		Args: exactArgs(1, "a pipeline name"),
	}
	return tokenCommand(g, cmd, (*client.Client).WorkerToken)
}

func newAuthRobotTokenCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "get-robot-token <name>",
		Short:   "Issue a token of a robot (cluster admins)",
		Long:    "Issue a new token of robot:NAME and print it. It is shown once: the server keeps\nonly its hash. Give the robot roles with tusk auth set.",
		Example: "  tusk auth get-robot-token ci --ttl 720h\n  tusk auth set repo images repoWriter robot:ci",
		Args:    exactArgs(1, "a robot name"),
	}
	return tokenCommand(g, cmd, (*client.Client).RobotToken)
}

// tokenCommand makes cmd issue a token of the subject its argument names
// with issue, valid for --ttl, and print it (or its JSON with -o json).
func tokenCommand(g *globals, cmd *cobra.Command, issue func(*client.Client, context.Context, string, string) (tusk.Token, error)) *cobra.Command {
	var ttl, output string
	cmd.RunE = g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, args []string) error {
		tok, err := issue(c, ctx, args[0], ttl)
		if err != nil {
			return err
		}
		if p.json {
			return p.object(tok)
		}
		fmt.Fprintln(p.out, tok.Token)
		return nil
	})
	cmd.Flags().StringVar(&ttl, "ttl", "", "how long the token lasts, such as 24h (default: until revoked)")
	addOutputFlag(cmd, &output)
	return cmd
}

func newAuthRevokeCommand(g *globals) *cobra.Command {
	var token, robot string
	cmd := &cobra.Command{
		Use:     "revoke (--token TOKEN | --robot NAME)",
		Short:   "Revoke a token, or every token of a robot",
		Example: "  tusk auth revoke --token tusk_…\n  tusk auth revoke --robot ci",
		Args:    exactArgs(0, "no arguments"),
		RunE: g.onServer(nil, func(ctx context.Context, c *client.Client, _ printer, _ []string) error {
			switch {
			case (token == "") == (robot == ""):
				return usagef("give one of --token TOKEN or --robot NAME")
			case token != "":
				return c.RevokeToken(ctx, token)
			}
			n, err := c.RevokeRobot(ctx, robot)
			if err == nil {
				fmt.Fprintf(g.stdout, "revoked %s of robot:%s\n", plural(n, "token", "tokens"), robot)
			}
			return err
		}),
	}
	cmd.Flags().StringVar(&token, "token", "", "the token to revoke")
	cmd.Flags().StringVar(&robot, "robot", "", "revoke every token of this robot")
	return cmd
}

func newAuthActivateCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "activate",
		Short: "Turn authentication back on",
		Long:  "Turn authentication on after tusk auth deactivate. You get a cluster admin's\ntoken, kept in the CLI configuration for this server's context.",
		Args:  exactArgs(0, "no arguments"),
		RunE: g.onServer(nil, func(ctx context.Context, c *client.Client, _ printer, _ []string) error {
			tok, err := c.ActivateAuth(ctx)
			if err != nil {
				return err
			}
			name, err := g.saveToken(tok.Token)
			if err != nil {
				return fmt.Errorf("authentication is on, but saving the admin's token failed (it is %s): %w", tok.Token, err)
			}
			fmt.Fprintf(g.stdout, "authentication is on; you are %s (context %s)\n", tok.Subject, name)
			return nil
		}),
	}
}

func newAuthDeactivateCommand(g *globals) *cobra.Command {
	var sure bool
	cmd := &cobra.Command{
		Use:   "deactivate --yes-i-understand",
		Short: "Turn authentication off (cluster admins)",
		Long: `Turn authentication off: from then on every request, from anyone who can
reach the server, and from every pipeline, may do anything, as if it were a
cluster admin. Tokens and roles are kept for tusk auth activate.`,
		Args: exactArgs(0, "no arguments"),
		RunE: g.onServer(nil, func(ctx context.Context, c *client.Client, _ printer, _ []string) error {
			if !sure {
				return usagef("deactivating lets anyone who reaches the server do anything; add --yes-i-understand to do it")
			}
			if err := c.DeactivateAuth(ctx); err != nil {
				return err
			}
			fmt.Fprintln(g.stderr, "warning: authentication is off: anyone who can reach the server may do anything; turn it on with: tusk auth activate")
			return nil
		}),
	}
	cmd.Flags().BoolVar(&sure, "yes-i-understand", false, "confirm that everyone may then do anything")
	return cmd
}

// resourceArgs returns the repo a set/get/check command names ("" for
// the cluster) and the arguments after it.
func resourceArgs(kind string, args []string) (string, []string) {
	if kind == "repo" {
		return args[0], args[1:]
	}
	return "", args
}

// resourceUse returns the usage of a get/check command on kind, how many
// arguments it takes and what they are.
func resourceUse(kind string) (use string, n int, what string) {
	if kind == "cluster" {
		return "cluster", 0, "no arguments"
	}
	return "repo <repo>", 1, "a repo name"
}

func newAuthSetCommand(g *globals, kind string) *cobra.Command {
	use, n, what := "repo <repo> <role,…|none> <subject>", 3, "a repo, roles and a subject"
	example := "  tusk auth set repo images repoReader robot:ci\n  tusk auth set repo images none robot:ci"
	if kind == "cluster" {
		use, n, what = "cluster <role|none> <subject>", 2, "roles and a subject"
		example = "  tusk auth set cluster clusterAdmin robot:ops"
	}
	return &cobra.Command{
		Use:     use,
		Short:   "Set a subject's roles on the " + kind + " (replacing the ones it had)",
		Example: example,
		Args:    exactArgs(n, what),
		RunE: g.onServer(nil, func(ctx context.Context, c *client.Client, _ printer, args []string) error {
			repo, rest := resourceArgs(kind, args)
			roles := strings.Split(rest[0], ",")
			if rest[0] == "none" {
				roles = nil
			}
			return c.SetRoles(ctx, repo, rest[1], roles)
		}),
	}
}

func newAuthGetCommand(g *globals, kind string) *cobra.Command {
	var output string
	use, n, what := resourceUse(kind)
	cmd := &cobra.Command{
		Use:   use,
		Short: "List who has which roles on the " + kind,
		Args:  exactArgs(n, what),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, args []string) error {
			repo, _ := resourceArgs(kind, args)
			bs, err := c.Roles(ctx, repo)
			if err != nil {
				return err
			}
			return printAll(p, []string{"SUBJECT", "ROLES"}, func(b tusk.RoleBinding) []string {
				return []string{b.Subject, strings.Join(b.Roles, ",")}
			}, bs)
		}),
	}
	addOutputFlag(cmd, &output)
	return cmd
}

// authCheck is what `auth check` prints.
type authCheck struct {
	Subject string   `json:"subject,omitempty"`
	Repo    string   `json:"repo,omitempty"`
	Roles   []string `json:"roles"`
}

func newAuthCheckCommand(g *globals, kind string) *cobra.Command {
	var output string
	use, n, what := resourceUse(kind)
	cmd := &cobra.Command{
		Use:   use,
		Short: "Show your roles on the " + kind,
		Args:  exactArgs(n, what),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, args []string) error {
			repo, _ := resourceArgs(kind, args)
			who, err := c.WhoAmI(ctx)
			if err != nil {
				return err
			}
			out := authCheck{Subject: who.Subject, Repo: repo, Roles: []string{}}
			if who.Admin {
				out.Roles = append(out.Roles, "clusterAdmin")
			}
			key := repo // whoami names a repo of another project "project/repo"
			if g.project != "" && g.project != tusk.DefaultProject {
				key = g.project + "/" + repo
			}
			if r := who.Repos[key]; repo != "" && r != "" && !slices.Contains(out.Roles, r) {
				out.Roles = append(out.Roles, r)
			}
			if p.json {
				return p.object(out)
			}
			w := p.fields()
			row(w, "Subject:", orDash(out.Subject))
			row(w, "Roles:", orDash(strings.Join(out.Roles, ",")))
			return w.Flush()
		}),
	}
	addOutputFlag(cmd, &output)
	return cmd
}
