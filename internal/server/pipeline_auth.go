package server

import (
	"context"
	"net/http"

	"github.com/tuskdata/tusk/internal/auth"
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
	spec.Walk(p.Input, func(in *spec.Input) {
		switch {
		case err != nil:
		case in.PFS != nil:
			err = require(r, in.PFS.Repo, auth.Read)
		case in.Cron != nil && in.Cron.Repo != "":
			if _, ierr := s.pfs.InspectRepo(r.Context(), in.Cron.Repo); ierr == nil {
				err = require(r, in.Cron.Repo, auth.Write)
			}
		}
	})
	if err != nil {
		return err
	}
	if name := p.Name(); name != "" {
		if _, ierr := s.pfs.InspectRepo(r.Context(), name); ierr == nil {
			return require(r, name, auth.Own)
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
	var inputs []string
	spec.Walk(p.Input, func(in *spec.Input) {
		switch {
		case in.PFS != nil:
			inputs = append(inputs, in.PFS.Repo)
		case in.Cron != nil:
			inputs = append(inputs, in.Cron.Repo)
		}
	})
	return s.auth.SetPipelineRoles(ctx, p.Name(), inputs, p.Name())
}

// grantCreator gives the creator of a pipeline ownership of its output
// repo (and of the cron repos it made).
func (s *Server) grantCreator(ctx context.Context, creator auth.Grants, p *spec.Pipeline) error {
	name := p.Name()
	if creator.Subject == "" {
		return nil
	}
	owned := []string{name}
	spec.Walk(p.Input, func(in *spec.Input) {
		if in.Cron != nil && creator.Repos[in.Cron.Repo] == auth.None {
			owned = append(owned, in.Cron.Repo)
		}
	})
	for _, repo := range owned {
		if err := s.auth.SetRoles(ctx, auth.Repo(repo), creator.Subject, []string{auth.RepoOwner}); err != nil {
			return tusk.Errorf(tusk.KindInternal, "pipeline %s was made, but making %s its owner failed: %v", name, creator.Subject, err)
		}
	}
	return nil
}
