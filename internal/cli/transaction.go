package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/pachapi"
	"github.com/tuskdata/tusk/internal/tusk"
)

const transactionLong = `Transactions apply several changes at once, as pachctl's do. While a
transaction is active (start transaction, or resume transaction), these
commands are recorded in it instead of being applied:

  create repo, start commit, finish commit, create branch, delete branch,
  create pipeline, update pipeline

Each is checked when it is recorded, by a dry run of the whole transaction.
finish transaction applies them all in one step: every commit they start,
and every commit they make downstream, is in one commit set whose ID is the
transaction's, so a pipeline reading two repos committed to in one
transaction runs one job over both. If one fails, none is applied and the
transaction stays. stop transaction leaves it for later (resume it by its
ID); delete transaction discards it.

start commit prints the commit the transaction will start, whose ID is the
transaction's; put file is not recorded: once the transaction is finished,
put files into that commit (by branch or by ID) and finish it. A pipeline
created in a transaction runs its first job in the transaction's commit
set, over its inputs as the transaction leaves them. edit pipeline is not
recorded: it is refused while a transaction is active.

The active transaction belongs to the context of the server in use.`

// addTransactionCommands adds the transaction noun to its verbs, and the
// verb resume, which only transactions have.
func addTransactionCommands(g *globals, root *cobra.Command) {
	nouns := map[string]*cobra.Command{
		"start":   newStartTransactionCommand(g),
		"finish":  newFinishTransactionCommand(g),
		"stop":    newStopTransactionCommand(g),
		"delete":  newDeleteTransactionCommand(g),
		"inspect": newInspectTransactionCommand(g),
		"list":    newListTransactionCommand(g),
	}
	for _, verb := range root.Commands() {
		if n := nouns[verb.Name()]; n != nil {
			n.Aliases = append(n.Aliases, pluralNoun(n.Name()))
			verb.AddCommand(n)
		}
	}
	root.AddCommand(newVerbCommand("resume", "Make a stopped transaction active again", newResumeTransactionCommand(g)))
}

// txnContext returns the config and the name of the context whose active
// transaction applies: that of $TUSK_ADDRESS, else the active one. A
// server without a context gets one, named by its address, to hold it.
func (g *globals) txnContext() (string, config, string, error) {
	path, c, err := g.readConfig()
	if err != nil {
		return "", c, "", err
	}
	server, err := resolveContext(g.getenv)
	if err != nil {
		return "", c, "", err
	}
	name, ok := c.contextOf(server.Address)
	if !ok {
		name = server.Address
		if c.Contexts == nil {
			c.Contexts = map[string]contextConfig{}
		}
		c.Contexts[name] = contextConfig{Address: server.Address}
	}
	return path, c, name, nil
}

// activeTxn returns the active transaction, "" when there is none (also
// when there is no config file to hold one).
func (g *globals) activeTxn() (string, error) {
	if _, err := configPath(g.getenv); err != nil {
		return "", nil
	}
	_, c, name, err := g.txnContext()
	return c.Contexts[name].ActiveTransaction, err
}

// setActiveTxn makes id the active transaction ("" for none).
func (g *globals) setActiveTxn(id string) error {
	path, c, name, err := g.txnContext()
	if err != nil {
		return err
	}
	ctx := c.Contexts[name]
	ctx.ActiveTransaction = id
	c.Contexts[name] = ctx
	return saveConfig(path, c)
}

// inTxn returns c, recording in the active transaction if there is one,
// and done, to call with the outcome of the request: it notes on
// standard error that the request was added, as pachctl does.
func (g *globals) inTxn(c *client.Client) (_ *client.Client, done func(error) error, _ error) {
	id, err := g.activeTxn()
	if err != nil || id == "" {
		return c, func(err error) error { return err }, err
	}
	return c.InTransaction(id), func(err error) error {
		if err == nil {
			fmt.Fprintf(g.stderr, "Added to transaction: %s\n", id)
		}
		return err
	}, nil
}

// noTxn refuses what a transaction cannot record while one is active.
func (g *globals) noTxn(what string) error {
	id, err := g.activeTxn()
	if err != nil || id == "" {
		return err
	}
	return tusk.Errorf(tusk.KindInvalid, "%s cannot be recorded in a transaction, and transaction %s is active", what, id).
		WithHint("stop it with: tusk stop transaction, then %s, then: tusk resume transaction %s", what, id)
}

// txnArg returns the transaction an argument names, else the active one.
func (g *globals) txnArg(args []string) (string, error) {
	if len(args) > 0 {
		return args[0], nil
	}
	id, err := g.activeTxn()
	if err == nil && id == "" {
		err = tusk.Errorf(tusk.KindInvalid, "no active transaction").
			WithHint("name one (tusk list transaction), or start one with: tusk start transaction")
	}
	return id, err
}

// onTxn is onServer for a command on the transaction its optional
// argument names, else on the active one.
func (g *globals) onTxn(output *string, fn func(ctx context.Context, c *client.Client, p printer, id string) error) func(*cobra.Command, []string) error {
	return g.onServer(output, func(ctx context.Context, c *client.Client, p printer, args []string) error {
		id, err := g.txnArg(args)
		if err != nil {
			return err
		}
		return fn(ctx, c, p, id)
	})
}

// txnArgs are the arguments of onTxn's commands.
var txnArgs = rangeArgs(0, 1, "a transaction ID, or none for the active one")

func newStartTransactionCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "transaction",
		Short: "Start a transaction and make it active",
		Long:  transactionLong,
		Args:  exactArgs(0, "no arguments"),
		RunE: g.onServer(nil, func(ctx context.Context, c *client.Client, _ printer, _ []string) error {
			if id, err := g.activeTxn(); err != nil || id != "" {
				if err == nil {
					err = tusk.Errorf(tusk.KindConflict, "cannot start a new transaction: transaction %s is active", id).
						WithHint("finish it, delete it, or stop it (tusk stop transaction) first")
				}
				return err
			}
			info, err := c.StartTransaction(ctx)
			if err != nil {
				return err
			}
			if err := g.setActiveTxn(info.ID); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "started new transaction: %q\n", info.ID)
			return nil
		}),
	}
}

func newFinishTransactionCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "transaction [<id>]",
		Short: "Apply a transaction (the active one by default) at once",
		Long:  transactionLong,
		Args:  txnArgs,
		RunE: g.onTxn(nil, func(ctx context.Context, c *client.Client, _ printer, id string) error {
			info, err := c.FinishTransaction(ctx, id)
			if err != nil {
				return err
			}
			if err := g.clearIfActive(id); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "Completed transaction with %d requests: %s\n", len(info.Requests), info.ID)
			return nil
		}),
	}
}

// clearIfActive forgets the active transaction if it is id.
func (g *globals) clearIfActive(id string) error {
	active, err := g.activeTxn()
	if err != nil || active != id {
		return err
	}
	return g.setActiveTxn("")
}

func newStopTransactionCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "transaction",
		Short: "Stop recording in the active transaction, keeping it",
		Long:  transactionLong,
		Args:  exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			id, err := g.txnArg(nil)
			if err != nil {
				return err
			}
			if err := g.setActiveTxn(""); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "Cleared active transaction: %s\n", id)
			return nil
		},
	}
}

func newResumeTransactionCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "transaction <id>",
		Short: "Make a stopped transaction active again",
		Long:  transactionLong,
		Args:  exactArgs(1, "a transaction ID"),
		RunE: g.onServer(nil, func(ctx context.Context, c *client.Client, _ printer, args []string) error {
			info, err := c.InspectTransaction(ctx, args[0])
			if err != nil {
				return err
			}
			if err := g.setActiveTxn(info.ID); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "Resuming existing transaction with %d requests: %s\n", len(info.Requests), info.ID)
			return nil
		}),
	}
}

func newDeleteTransactionCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "transaction [<id>]",
		Short: "Discard a transaction (the active one by default)",
		Long:  transactionLong,
		Args:  txnArgs,
		RunE: g.onTxn(nil, func(ctx context.Context, c *client.Client, _ printer, id string) error {
			if err := c.DeleteTransaction(ctx, id); err != nil {
				return err
			}
			return g.clearIfActive(id)
		}),
	}
}

func newInspectTransactionCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "transaction [<id>]",
		Short: "Show a transaction's requests (the active one by default)",
		Long:  transactionLong + "\n\n" + outputHelp + ". The JSON is pachctl's TransactionInfo.",
		Args:  txnArgs,
		RunE: g.onTxn(&output, func(ctx context.Context, c *client.Client, p printer, id string) error {
			info, err := c.InspectTransaction(ctx, id)
			if err != nil {
				return err
			}
			if p.json {
				return p.object(pachapi.TransactionInfoFrom(info))
			}
			tw := p.fields()
			row(tw, "Transaction:", info.ID)
			row(tw, "Started:", p.ago(info.Started))
			if info.Creator != "" {
				row(tw, "Creator:", info.Creator)
			}
			row(tw, "Requests:", fmt.Sprint(len(info.Requests)))
			if err := tw.Flush(); err != nil {
				return err
			}
			for i, r := range info.Requests {
				fmt.Fprintf(p.out, "  %d. %s\n", i+1, r)
			}
			return nil
		}),
	}
	addOutputFlag(cmd, &output)
	return cmd
}

func newListTransactionCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "transaction",
		Short: "List pending transactions",
		Long:  "List the pending transactions you started (every one, for a cluster admin).\n\n" + outputHelp + ". The JSON is pachctl's TransactionInfo.",
		Args:  exactArgs(0, "no arguments"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, _ []string) error {
			txns, err := c.ListTransactions(ctx)
			if err != nil {
				return err
			}
			return printAllAs(p, []string{"TRANSACTION", "STARTED", "OPS"}, func(t tusk.TxnInfo) []string {
				return []string{t.ID, p.ago(t.Started), fmt.Sprint(len(t.Requests))}
			}, as(pachapi.TransactionInfoFrom), txns)
		}),
	}
	addOutputFlag(cmd, &output)
	return cmd
}
