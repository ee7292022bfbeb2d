package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/tuskdata/tusk/internal/tusk"
)

// CreateSecret creates a secret from a Kubernetes Secret manifest, JSON
// or YAML, and describes it (keys and sizes, never values).
func (c *Client) CreateSecret(ctx context.Context, manifest []byte) (tusk.SecretInfo, error) {
	var info tusk.SecretInfo
	resp, err := c.do(ctx, http.MethodPost, "/v1/secrets", nil, bytesReader(manifest), "application/octet-stream")
	if err != nil {
		return info, err
	}
	defer closeBody(resp.Body)
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		return info, fmt.Errorf("decode the created secret: %w", err)
	}
	return info, nil
}

// ListSecrets lists the secrets, by name, without their keys.
func (c *Client) ListSecrets(ctx context.Context) ([]tusk.SecretInfo, error) {
	return collect[tusk.SecretInfo](ctx, c, "/v1/secrets", nil)
}

// InspectSecret describes a secret: its keys and the size of each value.
func (c *Client) InspectSecret(ctx context.Context, name string) (tusk.SecretInfo, error) {
	var info tusk.SecretInfo
	err := c.call(ctx, http.MethodGet, "/v1/secrets/"+url.PathEscape(name), nil, nil, &info)
	return info, err
}

// DeleteSecret deletes a secret.
func (c *Client) DeleteSecret(ctx context.Context, name string) error {
	return c.call(ctx, http.MethodDelete, "/v1/secrets/"+url.PathEscape(name), nil, nil, nil)
}
