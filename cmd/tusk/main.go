// Command tusk is Tusk's command-line tool and server: versioned data and
// pipelines in the manner of Pachyderm's pachctl. See `tusk --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/tuskdata/tusk/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
