package server

import (
	"context"
	"net/http"

	"github.com/tuskdata/tusk/internal/auth"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

// authorizeSpec says why the caller of r may not create (or update) the
// pipeline of p: they need reader on every input repo, writer on cron
// repos that exist (ticks are written there), and owner of the output
// repo if it exists (an update, or a repo of that name); and the
// secrets it names must exist, and be named by a cluster admin
// (checkSecretRefs).
func (s *Server) authorizeSpec(r *http.Request, p *spec.Pipeline) error {
	if err := s.checkSecretRefs(r, p); err != nil {
		return err
	}
	var err error
	project := p.ProjectName()
	spec.Walk(p.Input, func(in *spec.Input) {
		switch {
		case err != nil:
		case in.PFS != nil:
			err = require(r, auth.RepoKey(spec.InputProject(in.PFS.Project, project), in.PFS.Repo), auth.Read)
		case in.Cron != nil && in.Cron.Repo != "":
			cp := spec.InputProject(in.Cron.Project, project)
			if _, ierr := s.pfs.InspectRepo(r.Context(), cp, in.Cron.Repo); ierr == nil {
				err = require(r, auth.RepoKey(cp, in.Cron.Repo), auth.Write)
			}
		}
	})
	if err != nil {
		return err
	}
	if name := p.Name(); name != "" {
		if _, ierr := s.pfs.InspectRepo(r.Context(), project, name); ierr == nil {
			return require(r, auth.RepoKey(project, name), auth.Own)
		}
	}
	return nil
}

// grantPipelineIdentity gives the pipeline's own identity reader on its
// inputs and writer on its output. It comes before the pipeline is made:
// its workers start, and read their inputs, as soon as it is. (Roles of a
// pipeline that then fails to be made are of an identity no token speaks
// for.)
func (s *Server) grantPipelineIdentity(ctx context.Context, p *spec.Pipeline) error {
	var inputs []meta.Resource
	project := p.ProjectName()
	spec.Walk(p.Input, func(in *spec.Input) {
		switch {
		case in.PFS != nil:
			inputs = append(inputs, auth.Repo(spec.InputProject(in.PFS.Project, project), in.PFS.Repo))
		case in.Cron != nil:
			inputs = append(inputs, auth.Repo(spec.InputProject(in.Cron.Project, project), in.Cron.Repo))
		}
	})
	return s.auth.SetPipelineRoles(ctx, p.Name(), inputs, auth.Repo(project, p.Name()))
}

// grantCreator gives the creator of a pipeline ownership of its output
// repo (and of the cron repos it made).
func (s *Server) grantCreator(ctx context.Context, creator auth.Grants, p *spec.Pipeline) error {
	name, project := p.Name(), p.ProjectName()
	if creator.Subject == "" {
		return nil
	}
	owned := []meta.Resource{auth.Repo(project, name)}
	spec.Walk(p.Input, func(in *spec.Input) {
		if in.Cron == nil {
			return
		}
		if cron := auth.Repo(spec.InputProject(in.Cron.Project, project), in.Cron.Repo); creator.Repos[auth.RepoKey(cron.Project, cron.Name)] == auth.None {
			owned = append(owned, cron)
		}
	})
	for _, repo := range owned {
		if err := s.auth.SetRoles(ctx, repo, creator.Subject, []string{auth.RepoOwner}); err != nil {
			return tusk.Errorf(tusk.KindInternal, "pipeline %s was made, but making %s its owner failed: %v", name, creator.Subject, err)
		}
	}
	return nil
}
