package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/tuskdata/tusk/internal/tusk"
)

// InProject returns a client whose calls name the repos, pipelines and
// jobs of project; those of c name the default project's (or the
// project a reference names, "project/repo@branch"). It records in c's
// transaction, if any.
func (c *Client) InProject(project string) *Client {
	p := c.As(c.token)
	p.txn, p.project = c.txn, project
	return p
}

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
