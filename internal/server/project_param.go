package server

import (
	"cmp"
	"net/http"

	"github.com/tuskdata/tusk/internal/auth"
	"github.com/tuskdata/tusk/internal/tusk"
)

// projectOf is the project of the repos (pipelines, jobs) a request
// names: its query parameter "project", else the default project, which
// is what clients from before projects mean.
func projectOf(r *http.Request) string {
	return cmp.Or(r.URL.Query().Get("project"), tusk.DefaultProject)
}

// txnProject is the project a transaction records for a request: none
// for the default project, as requests recorded before projects have.
func txnProject(r *http.Request) string {
	if p := projectOf(r); p != tusk.DefaultProject {
		return p
	}
	return ""
}

// repoKey is the RepoKey of a repo of the request's project.
func repoKey(r *http.Request, name string) string { return auth.RepoKey(projectOf(r), name) }

// parseRef parses a reference to a repo: of the project it names
// ("project/repo@…"), else of the request's (left empty for the default
// project, so that the reference reads as it was written).
func parseRef(r *http.Request, s string) (tusk.Ref, error) {
	ref, err := tusk.ParseRef(s)
	if p := projectOf(r); ref.Project == "" && p != tusk.DefaultProject {
		ref.Project = p
	}
	return ref, err
}
