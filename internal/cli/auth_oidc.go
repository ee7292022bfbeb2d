package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
)

// loginOIDC logs in through the server's OpenID Provider, as pachctl
// auth login does: it prints the provider's URL (and opens it in a
// browser if it can), and waits while the user logs in there and the
// provider sends the browser back to the server, which hands this
// command a token of the user. ok is false if the server has no
// provider.
func loginOIDC(ctx context.Context, g *globals, c *client.Client, browser bool) (res client.OIDCResult, ok bool, err error) {
	l, err := c.BeginOIDCLogin(ctx)
	if errors.Is(err, tusk.ErrNotFound) {
		return client.OIDCResult{}, false, nil
	}
	if err != nil {
		return client.OIDCResult{}, true, err
	}
	fmt.Fprintf(g.stderr, "Log in at %s with this URL:\n\n  %s\n\n", l.Issuer, l.URL)
	if browser && openBrowser(g.getenv, l.URL) {
		fmt.Fprintln(g.stderr, "(opened in your browser)")
	}
	fmt.Fprintln(g.stderr, "Waiting for the login to complete…")
	res, err = c.WaitOIDCLogin(ctx, l.Key)
	return res, true, err
}
