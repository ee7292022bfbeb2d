package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/tuskdata/tusk/internal/tusk"
)

// WhoAmI says who the client's token speaks for and what it may do.
func (c *Client) WhoAmI(ctx context.Context) (tusk.WhoAmI, error) {
	var w tusk.WhoAmI
	err := c.call(ctx, http.MethodGet, "/v1/auth/whoami", nil, nil, &w)
	return w, err
}

// ActivateAuth turns authentication on and returns a cluster admin's
// token.
func (c *Client) ActivateAuth(ctx context.Context) (tusk.Token, error) {
	var t tusk.Token
	err := c.call(ctx, http.MethodPost, "/v1/auth/activate", nil, struct{}{}, &t)
	return t, err
}

// DeactivateAuth turns authentication off.
func (c *Client) DeactivateAuth(ctx context.Context) error {
	return c.call(ctx, http.MethodPost, "/v1/auth/deactivate", nil, struct{}{}, nil)
}

// RobotToken issues a token of the robot name, valid for ttl (a Go
// duration; "" for no expiry).
func (c *Client) RobotToken(ctx context.Context, name, ttl string) (tusk.Token, error) {
	var t tusk.Token
	err := c.call(ctx, http.MethodPost, "/v1/auth/robots/"+url.PathEscape(name)+"/tokens", nil, map[string]string{"ttl": ttl}, &t)
	return t, err
}

// WorkerToken issues a token of pipeline's identity for workers started
// outside tusk, valid for ttl ("": until revoked; cluster admins only).
func (c *Client) WorkerToken(ctx context.Context, pipeline, ttl string) (tusk.Token, error) {
	var t tusk.Token
	err := c.call(ctx, http.MethodPost, "/v1/auth/pipelines/"+url.PathEscape(pipeline)+"/tokens", nil, map[string]string{"ttl": ttl}, &t)
	return t, err
}

// RevokeRobot revokes every token of the robot name and returns how many
// there were.
func (c *Client) RevokeRobot(ctx context.Context, name string) (int, error) {
	var out struct {
		Revoked int `json:"revoked"`
	}
	err := c.call(ctx, http.MethodDelete, "/v1/auth/robots/"+url.PathEscape(name)+"/tokens", nil, nil, &out)
	return out.Revoked, err
}

// RevokeToken revokes a token.
func (c *Client) RevokeToken(ctx context.Context, token string) error {
	return c.call(ctx, http.MethodPost, "/v1/auth/revoke", nil, map[string]string{"token": token}, nil)
}

// rolesPath is the API path of the roles on the cluster (repo "") or a
// repo.
func rolesPath(repo string) string {
	if repo == "" {
		return "/v1/auth/cluster/roles"
	}
	return "/v1/auth/repos/" + url.PathEscape(repo) + "/roles"
}

// Roles returns the role bindings on a repo, or on the cluster if repo is
// "".
func (c *Client) Roles(ctx context.Context, repo string) ([]tusk.RoleBinding, error) {
	return collect[tusk.RoleBinding](ctx, c, rolesPath(repo), nil)
}

// SetRoles replaces the roles of subject on a repo, or on the cluster if
// repo is "".
func (c *Client) SetRoles(ctx context.Context, repo, subject string, roles []string) error {
	return c.call(ctx, http.MethodPut, rolesPath(repo), nil, tusk.RoleBinding{Subject: subject, Roles: roles}, nil)
}

// LoginCode returns a one-time code that opens a console session as the
// client's subject.
func (c *Client) LoginCode(ctx context.Context) (string, error) {
	var out struct {
		Code string `json:"code"`
	}
	err := c.call(ctx, http.MethodPost, "/v1/auth/login-codes", nil, struct{}{}, &out)
	return out.Code, err
}

// Session turns a one-time login code into a session token.
func (c *Client) Session(ctx context.Context, code string) (tusk.Token, error) {
	var t tusk.Token
	err := c.call(ctx, http.MethodPost, "/v1/auth/sessions", nil, map[string]string{"code": code}, &t)
	return t, err
}
