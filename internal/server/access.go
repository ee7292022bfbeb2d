package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"

	"github.com/tuskdata/tusk/internal/auth"
	"github.com/tuskdata/tusk/internal/tusk"
)

// An access is the permission an endpoint needs, declared next to its
// handler in endpoints and enforced by authorize before the handler runs.
type access struct {
	who   audience
	level auth.Level // for onRepos: what the caller needs on each repo
	// names returns the repos (onRepos, as auth.RepoKey names them) or
	// pipelines (worker) the request is about. None means the request names none, and its
	// handler shows only what the caller may read.
	names func(s *Server, r *http.Request) ([]string, error)
	// commits returns the commits a read names, for routes that read
	// commits rather than repos: the only reads a pipeline's workers may
	// make of repos other than their output (see jobScope).
	commits func(s *Server, r *http.Request) ([]tusk.Ref, error)
}

// audience is who may call an endpoint at all.
type audience int

const (
	public          audience = iota // anyone, without a token
	anyone                          // any valid token; the handler filters what it shows
	member                          // users and robots, not pipelines and their workers
	admin                           // clusterAdmin
	onRepos                         // level on every repo that names returns
	pipelineWorkers                 // the workers of the pipelines that names returns
)

var (
	publicAccess = access{who: public}
	anyoneAccess = access{who: anyone}
	memberAccess = access{who: member}
	adminAccess  = access{who: admin}
)

// repoAccess needs level on the repos that names returns.
func repoAccess(level auth.Level, names func(*Server, *http.Request) ([]string, error)) access {
	return access{who: onRepos, level: level, names: names}
}

func read(names func(*Server, *http.Request) ([]string, error)) access {
	return repoAccess(auth.Read, names)
}

// readRefs needs reader on the repos of the references in the query
// parameters names, which name commits that workers may read if their
// jobs read them.
func readRefs(names ...string) access {
	a := read(queryRefs(names...))
	a.commits = queryCommits(names...)
	return a
}

func write(names func(*Server, *http.Request) ([]string, error)) access {
	return repoAccess(auth.Write, names)
}

func own(names func(*Server, *http.Request) ([]string, error)) access {
	return repoAccess(auth.Own, names)
}

// forWorkers is for the worker protocol: only the workers of the
// pipelines that names returns.
func forWorkers(names func(*Server, *http.Request) ([]string, error)) access {
	return access{who: pipelineWorkers, names: names}
}

// The ways a request names its repos (or pipelines), in the project of
// the request (projectOf) unless they name theirs.

// inPath is the path parameter name (a repo, or a pipeline: the name of its
// output repo).
func inPath(name string) func(*Server, *http.Request) ([]string, error) {
	return func(_ *Server, r *http.Request) ([]string, error) {
		return []string{repoKey(r, r.PathValue(name))}, nil
	}
}

// query is the query parameters that hold a repo name, if given.
func query(names ...string) func(*Server, *http.Request) ([]string, error) {
	return func(_ *Server, r *http.Request) ([]string, error) {
		var out []string
		for _, n := range names {
			if v := r.URL.Query().Get(n); v != "" {
				out = append(out, repoKey(r, v))
			}
		}
		return out, nil
	}
}

// queryRefs is the query parameters that hold a reference (repo@…), if
// given, and "id", a commit set, whose every repo is named.
func queryRefs(names ...string) func(*Server, *http.Request) ([]string, error) {
	commits := queryCommits(names...)
	return func(s *Server, r *http.Request) ([]string, error) {
		refs, err := commits(s, r)
		if err != nil {
			return nil, err
		}
		if id := r.URL.Query().Get("id"); len(refs) == 0 && id != "" {
			return s.commitSetRepos(r, id)
		}
		return reposOf(refs), nil
	}
}

// queryRepoOrRef is "repo", or the repo of "ref".
func queryRepoOrRef(s *Server, r *http.Request) ([]string, error) {
	if repos, _ := query("repo")(s, r); len(repos) > 0 {
		return repos, nil
	}
	return queryRefs("ref")(s, r)
}

// pathCommitSet is every repo of the commit set in the path.
func pathCommitSet(s *Server, r *http.Request) ([]string, error) {
	return s.commitSetRepos(r, r.PathValue("id"))
}

func (s *Server) commitSetRepos(r *http.Request, id string) ([]string, error) {
	if !tusk.IsCommitID(id) {
		return nil, nil // the handler refuses it
	}
	cs, err := s.pfs.CommitSet(r.Context(), id)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = auth.RepoKey(c.Project, c.Repo)
	}
	return out, nil
}

// body decodes the JSON request body into v and puts the body back for
// the handler. A body that does not decode names nothing: the handler
// refuses it with its own error.
func body(r *http.Request, v any) error {
	data, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(data))
	if err != nil {
		return bodyError(r, "read request body", err)
	}
	json.Unmarshal(data, v)
	return nil
}

// bodyRepo is the repo in the body's field "repo".
func bodyRepo(_ *Server, r *http.Request) ([]string, error) {
	var req struct {
		Repo string `json:"repo"`
	}
	err := body(r, &req)
	if req.Repo == "" {
		return nil, err
	}
	return []string{repoKey(r, req.Repo)}, err
}

// bodyRef is the repo of the reference in the body's field "ref", else
// the repos of the commit set in its field "id".
func bodyRef(s *Server, r *http.Request) ([]string, error) {
	var req struct {
		Ref string `json:"ref"`
		ID  string `json:"id"`
	}
	if err := body(r, &req); err != nil {
		return nil, err
	}
	if req.Ref == "" {
		return s.commitSetRepos(r, req.ID)
	}
	ref, err := parseRef(r, req.Ref)
	if err != nil {
		return nil, err
	}
	return reposOf([]tusk.Ref{ref}), nil
}

// bodyInputs is the repos of the datum inputs a worker asks for.
func bodyInputs(s *Server, r *http.Request) ([]string, error) {
	refs, err := bodyInputCommits(s, r)
	return reposOf(refs), err
}

// reposOf returns the repos of refs, as auth.RepoKey names them.
func reposOf(refs []tusk.Ref) []string {
	out := make([]string, len(refs))
	for i, ref := range refs {
		out[i] = auth.RepoKey(ref.ProjectName(), ref.Repo)
	}
	return out
}

// queryPipeline is the pipeline a worker asks for work of.
func queryPipeline(_ *Server, r *http.Request) ([]string, error) {
	return []string{r.URL.Query().Get("pipeline")}, nil
}

// bodyPipeline is the pipeline of a worker's heartbeat.
func bodyPipeline(_ *Server, r *http.Request) ([]string, error) {
	var req struct {
		Pipeline string `json:"pipeline"`
	}
	err := body(r, &req)
	return []string{req.Pipeline}, err
}

// bodyPipelines is the pipelines of a list of results or log lines.
func bodyPipelines(_ *Server, r *http.Request) ([]string, error) {
	var items []struct {
		Pipeline string `json:"pipeline"`
	}
	err := body(r, &items)
	var out []string
	for _, it := range items {
		out = append(out, it.Pipeline)
	}
	return out, err
}
