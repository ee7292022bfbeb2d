package client

import (
	"context"
	"net/http"
)

// OIDCLogin is a login begun at the server's OpenID Provider: the user
// opens URL in a browser, and the CLI waits for the result with Key,
// which only it knows.
type OIDCLogin struct {
	URL    string `json:"url"`
	Key    string `json:"key"`
	Issuer string `json:"issuer"`
}

// OIDCResult is the token the server issued for a login.
type OIDCResult struct {
	Subject string `json:"subject"`
	Token   string `json:"token"`
	Pending bool   `json:"pending,omitempty"`
}

// BeginOIDCLogin begins a login through the server's OpenID Provider.
func (c *Client) BeginOIDCLogin(ctx context.Context) (OIDCLogin, error) {
	var l OIDCLogin
	err := c.call(ctx, http.MethodPost, "/v1/auth/oidc/login", nil, struct{}{}, &l)
	return l, err
}

// WaitOIDCLogin waits until the user of login key has logged in at the
// provider (or the login failed or expired) and returns the token the
// server issued. The server holds each request for a while and answers
// "pending" if the user has not finished yet; WaitOIDCLogin asks again
// until ctx ends.
func (c *Client) WaitOIDCLogin(ctx context.Context, key string) (OIDCResult, error) {
	for {
		var r OIDCResult
		if err := c.call(ctx, http.MethodPost, "/v1/auth/oidc/wait", nil, map[string]string{"key": key}, &r); err != nil || !r.Pending {
			return r, err
		}
	}
}
