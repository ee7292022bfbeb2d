package server

import (
	"context"

	"github.com/tuskdata/tusk/internal/pfs"
	"github.com/tuskdata/tusk/internal/tusk"
)

// defaultProjectFS is the file system as the S3 gateway sees it: the
// repos of the default project, as its buckets name them (a bucket
// grammar with a project is not served yet).
type defaultProjectFS struct{ *pfs.API }

func (f defaultProjectFS) ListRepos(ctx context.Context) ([]tusk.Repo, error) {
	return f.API.ListRepos(ctx, tusk.DefaultProject)
}

func (f defaultProjectFS) InspectRepo(ctx context.Context, name string) (tusk.Repo, error) {
	return f.API.InspectRepo(ctx, tusk.DefaultProject, name)
}

func (f defaultProjectFS) ListBranches(ctx context.Context, repo string) ([]tusk.Branch, error) {
	return f.API.ListBranches(ctx, tusk.DefaultProject, repo)
}

func (f defaultProjectFS) InspectBranch(ctx context.Context, repo, name string) (tusk.Branch, error) {
	return f.API.InspectBranch(ctx, tusk.DefaultProject, repo, name)
}

func (f defaultProjectFS) CreateBranch(ctx context.Context, repo, name, head string, provenance []tusk.BranchRef, trigger *tusk.Trigger) (tusk.Branch, error) {
	return f.API.CreateBranch(ctx, tusk.DefaultProject, repo, name, head, provenance, trigger)
}
