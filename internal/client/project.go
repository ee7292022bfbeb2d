package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/tuskdata/tusk/internal/tusk"
)

// CreateProject creates a project.
func (c *Client) CreateProject(ctx context.Context, name, description string) (tusk.Project, error) {
	var p tusk.Project
	err := c.call(ctx, http.MethodPost, "/v1/projects", nil, map[string]string{"name": name, "description": description}, &p)
	return p, err
}

// UpdateProject sets a project's description.
func (c *Client) UpdateProject(ctx context.Context, name, description string) (tusk.Project, error) {
	var p tusk.Project
	err := c.call(ctx, http.MethodPatch, "/v1/projects/"+url.PathEscape(name), nil, map[string]string{"description": description}, &p)
	return p, err
}

// ListProjects lists the projects.
func (c *Client) ListProjects(ctx context.Context) ([]tusk.Project, error) {
	return collect[tusk.Project](ctx, c, "/v1/projects", nil)
}

// InspectProject describes a project.
func (c *Client) InspectProject(ctx context.Context, name string) (tusk.Project, error) {
	var p tusk.Project
	err := c.call(ctx, http.MethodGet, "/v1/projects/"+url.PathEscape(name), nil, nil, &p)
	return p, err
}

// DeleteProject deletes an empty project.
func (c *Client) DeleteProject(ctx context.Context, name string) error {
	return c.call(ctx, http.MethodDelete, "/v1/projects/"+url.PathEscape(name), nil, nil, nil)
}
