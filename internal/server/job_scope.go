package server

import (
	"net/http"

	"github.com/tuskdata/tusk/internal/auth"
	"github.com/tuskdata/tusk/internal/tusk"
)

// A pipeline's workers hold reader on its inputs, but they may use it
// only on the commits their work reads: the input commits of the
// pipeline's unfinished jobs. A worker cannot browse an input repo's
// history, nor read a commit that arrived after its jobs began or one
// from before them, and once its jobs end it reads no input at all. Its
// output repo is its own.

// readInputs needs reader on the repos of the datum inputs a worker asks
// for, each at a commit its jobs read.
var readInputs = access{who: onRepos, level: auth.Read, names: bodyInputs, commits: bodyInputCommits}

// queryCommits is the references in the query parameters names.
func queryCommits(names ...string) func(*Server, *http.Request) ([]tusk.Ref, error) {
	return func(_ *Server, r *http.Request) ([]tusk.Ref, error) {
		var out []tusk.Ref
		for _, n := range names {
			if v := r.URL.Query().Get(n); v != "" {
				ref, err := parseRef(r, v)
				if err != nil {
					return nil, err
				}
				out = append(out, ref)
			}
		}
		return out, nil
	}
}

// bodyInputCommits is the commits of the datum inputs a worker asks for.
func bodyInputCommits(_ *Server, r *http.Request) ([]tusk.Ref, error) {
	var req struct {
		Datums [][]tusk.DatumInput `json:"datums"`
	}
	err := body(r, &req)
	seen := make(map[tusk.Ref]bool)
	var out []tusk.Ref
	for _, ins := range req.Datums {
		for _, in := range ins {
			ref := tusk.Ref{Project: in.Project, Repo: in.Repo, ID: in.Commit}
			if !seen[ref] {
				seen[ref] = true
				out = append(out, ref)
			}
		}
	}
	return out, err
}

// jobScope says why pipeline's workers may not make read r of repos,
// which needs a: each repo other than the pipeline's output must be read
// at an input commit of one of its unfinished jobs.
func (s *Server) jobScope(r *http.Request, pipeline string, repos []string, a access) error {
	refused := func(what string) error {
		return tusk.Errorf(tusk.KindForbidden, "the workers of pipeline %q may not read %s: workers read only the input commits of their pipeline's running jobs, and its output",
			pipeline, what).WithHint("read the datum's inputs under /pfs; a pipeline that needs more of a repo takes it as an input")
	}
	var refs []tusk.Ref
	if a.commits != nil {
		var err error
		if refs, err = a.commits(s, r); err != nil {
			return err
		}
	}
	var inputs map[tusk.CommitRef]bool
	covered := make(map[string]bool)
	for _, ref := range refs {
		if ref.Repo == pipeline && ref.ProjectName() == tusk.DefaultProject {
			continue
		}
		if inputs == nil {
			var err error
			if inputs, err = s.pps.JobInputs(r.Context(), pipeline); err != nil {
				return err
			}
		}
		id := ref.ID
		if id == "" || ref.Up > 0 || ref.At > 0 {
			c, err := s.pfs.InspectCommit(r.Context(), ref)
			if err != nil {
				return err
			}
			id = c.ID
		}
		if !inputs[tusk.CommitRef{Project: tusk.OtherProject(ref.ProjectName()), Repo: ref.Repo, ID: id}] {
			return refused("commit " + ref.String())
		}
		covered[auth.RepoKey(ref.ProjectName(), ref.Repo)] = true
	}
	for _, repo := range repos {
		if repo != pipeline && !covered[repo] {
			return refused("repo " + repo + " as a whole")
		}
	}
	return nil
}
