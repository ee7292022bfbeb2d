package oidc

import (
	"net/url"
	"strings"
)

// An Identity is a user as the provider vouches for them.
type Identity struct {
	Subject       string // the provider's "sub": stable, unique at the provider
	Email         string
	EmailVerified bool
	Name          string
}

// UserName is the name of the Tusk user an identity logs in as: its
// email if the provider has verified it, else its subject qualified by
// the issuer's host ("SUB@HOST"). Either way it holds an "@", so that no
// provider's user can take the name of a local one such as "admin", and
// an unverified email claims nothing.
func (id Identity) UserName(issuer string) string {
	if id.Email != "" && id.EmailVerified {
		return strings.ToLower(id.Email)
	}
	host := issuer
	if u, err := url.Parse(issuer); err == nil && u.Host != "" {
		host = u.Host
	}
	return id.Subject + "@" + host
}
