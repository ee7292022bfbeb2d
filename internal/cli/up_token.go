package cli

import (
	"context"
	"fmt"
	"io"
	"os"
)

// adminTokenSource is the part of a server that hands out a cluster
// admin's token to whoever started it.
type adminTokenSource interface {
	AdminToken(ctx context.Context, existing string) (token string, created bool, err error)
}

// saveAdminToken makes sure the CLI configuration of the user who runs
// `tusk up` holds a cluster admin's token for the address the server
// listens on (server, with whom to trust over https), so that tusk
// commands work without logging in (see config.setToken).
func saveAdminToken(ctx context.Context, g *globals, srv adminTokenSource, server contextConfig, stderr io.Writer) error {
	path, c, err := g.readConfig()
	if err != nil {
		return err
	}
	existing, ok := c.contextOf(server.Address)
	token, created, err := srv.AdminToken(ctx, c.Contexts[existing].Token)
	if err != nil {
		return fmt.Errorf("make the admin's token: %w", err)
	}
	if !created && ok {
		return nil
	}
	name := c.setToken(server, token)
	if err := saveConfig(path, c); err != nil {
		return err
	}
	msg := fmt.Sprintf("  auth:     the admin's token is in %s, context %q", path, name)
	if c.ActiveContext != name {
		msg += fmt.Sprintf(" (the active context is %q; use this one with: tusk config set active-context %s)", c.ActiveContext, name)
	}
	fmt.Fprintln(stderr, msg)
	return nil
}

// adoptAdminToken makes the token in file a token of the cluster admin
// (tusk up --admin-token-file).
func adoptAdminToken(ctx context.Context, srv interface {
	AdoptAdminToken(ctx context.Context, token string) error
}, file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("--admin-token-file: %w", err)
	}
	if err := srv.AdoptAdminToken(ctx, string(b)); err != nil {
		return fmt.Errorf("--admin-token-file %s: %w", file, err)
	}
	return nil
}
