package cli

import (
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/tuskdata/tusk/internal/server"
)

// oidcOptions are the flags of `tusk up` that turn on OIDC login.
type oidcOptions struct {
	issuer      string
	clientID    string
	secretFile  string
	redirectURL string
	admins      []string
	tokenTTL    time.Duration
}

// oidcSecretEnv holds the client secret when no file is given: a secret
// on the command line would show in ps.
const oidcSecretEnv = "TUSK_OIDC_CLIENT_SECRET"

func addOIDCFlags(f *pflag.FlagSet, o *oidcOptions) {
	f.StringVar(&o.issuer, "oidc-issuer", "", "let users log in at this OpenID Provider (its issuer URL)")
	f.StringVar(&o.clientID, "oidc-client-id", "", "this server's client ID at the OpenID Provider")
	f.StringVar(&o.secretFile, "oidc-client-secret-file", "", "file holding the client secret (default $"+oidcSecretEnv+")")
	f.StringVar(&o.redirectURL, "oidc-redirect-url", "", "URL at which browsers reach this server's /auth/callback, as registered at the provider (default http(s)://LISTEN/auth/callback)")
	f.StringSliceVar(&o.admins, "oidc-admin", nil, "user (verified email) made clusterAdmin when they log in (repeatable)")
	f.DurationVar(&o.tokenTTL, "oidc-token-ttl", server.DefaultOIDCTokenTTL, "how long the token of an OIDC login is valid")
}

// config returns the server's OIDC settings; listen is the address the
// server listens on, over https if secure. Without --oidc-issuer it is
// off, and the other flags are refused.
func (o oidcOptions) config(getenv func(string) string, listen net.Addr, secure bool) (server.OIDCConfig, error) {
	if o.issuer == "" {
		if o.clientID != "" || o.secretFile != "" || o.redirectURL != "" || len(o.admins) > 0 {
			return server.OIDCConfig{}, usagef("the --oidc-* flags need --oidc-issuer")
		}
		return server.OIDCConfig{}, nil
	}
	if o.tokenTTL <= 0 {
		return server.OIDCConfig{}, usagef("--oidc-token-ttl must be more than 0")
	}
	c := server.OIDCConfig{Admins: o.admins, TokenTTL: o.tokenTTL}
	c.Issuer, c.ClientID, c.RedirectURL = o.issuer, o.clientID, o.redirectURL
	switch {
	case o.secretFile != "":
		b, err := os.ReadFile(o.secretFile)
		if err != nil {
			return server.OIDCConfig{}, fmt.Errorf("--oidc-client-secret-file: %w", err)
		}
		c.ClientSecret = strings.TrimSpace(string(b))
	default:
		c.ClientSecret = getenv(oidcSecretEnv)
	}
	if c.RedirectURL == "" {
		host, _, err := net.SplitHostPort(listen.String())
		if ip := net.ParseIP(host); err != nil || ip == nil || ip.IsUnspecified() {
			return server.OIDCConfig{}, usagef("give --oidc-redirect-url: listening on %s, the server cannot tell at which address browsers reach it", listen)
		}
		scheme := "http"
		if secure {
			scheme = "https"
		}
		c.RedirectURL = scheme + "://" + listen.String() + "/auth/callback"
	}
	return c, nil
}
