package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Exit statuses of Main.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// globals is what every command shares: the process's streams and
// environment, replaceable in tests.
type globals struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time
	// project is the project of the repos, pipelines and jobs the
	// command names (activeProject), set before it runs.
	project string
}

// Main runs the tusk command line with args (without the program name) and
// returns the process's exit status: 0 on success, 1 when the command
// failed, 2 for a usage error.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv, now: time.Now}
	root := newRootCommand(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	if ctx.Err() != nil {
		// Interrupted: whatever failed did so because of it.
		err = context.Cause(ctx)
	}
	return report(stderr, cmd, err)
}

// client returns a client of the server the environment points at.
func (g *globals) client() (*client.Client, error) {
	server, err := resolveServer(g.getenv)
	if err != nil {
		return nil, err
	}
	opts, err := server.clientOptions()
	if err != nil {
		return nil, err
	}
	c, err := client.New(server.Address, opts...)
	if err != nil || g.project == "" || g.project == tusk.DefaultProject {
		return c, err
	}
	return c.InProject(g.project), nil
}

// serverFunc is the work of a command that talks to the server: ctx is the
// command's, p prints in the format of its -o flag and args are its
// arguments.
type serverFunc func(ctx context.Context, c *client.Client, p printer, args []string) error

// onServer returns the RunE of a command that talks to the server: it makes
// the printer for *output (nil for a command without -o), connects and
// calls fn.
func (g *globals) onServer(output *string, fn serverFunc) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		format := ""
		if output != nil {
			format = *output
		}
		p, err := g.printer(format)
		if err != nil {
			return err
		}
		c, err := g.client()
		if err != nil {
			return err
		}
		return fn(cmd.Context(), c, p, args)
	}
}

// terminal reports whether w is a terminal, for progress bars.
func terminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// usageError is a mistake in how a command was called: it exits with
// status 2 and points at the command's help.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// report prints err for the user and returns the exit status. A *tusk.Error
// with a hint prints the hint on a second line.
func report(w io.Writer, cmd *cobra.Command, err error) int {
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(w, "error: %v\nTry: %s --help\n", ue.err, cmd.CommandPath())
		return exitUsage
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(w, "error: interrupted")
		return exitError
	}
	msg := err.Error()
	var te *tusk.Error
	if errors.As(err, &te) && te.Hint != "" {
		msg = strings.TrimSuffix(msg, "; "+te.Hint)
		fmt.Fprintf(w, "error: %s\n  %s\n", msg, te.Hint)
		return exitError
	}
	fmt.Fprintf(w, "error: %s\n", msg)
	return exitError
}
