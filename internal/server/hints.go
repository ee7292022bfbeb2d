package server

import (
	"errors"

	"github.com/tuskdata/tusk/internal/meta"
)

// notFoundHint returns what the user can do about an error whose cause is
// a lookup that found nothing: the command that creates or lists what was
// sought; "" for any other error. The metadata store's errors are plain;
// the commands are worded here, where the API meets its users.
func notFoundHint(err error) string {
	var nf *meta.NotFound
	if !errors.As(err, &nf) {
		return ""
	}
	switch nf.What {
	case meta.MissingProject:
		return "list projects with: tusk list project"
	case meta.MissingRepo:
		return "create it with: tusk create repo " + nf.Repo
	case meta.MissingBranch:
		return "list branches with: tusk list branch " + nf.Repo
	case meta.MissingCommit:
		return "list commits with: tusk list commit " + nf.Repo
	case meta.MissingPipeline:
		return "list pipelines with: tusk list pipeline"
	case meta.MissingJob:
		return "list jobs with: tusk list job -p " + nf.Pipeline
	case meta.MissingSecret:
		return "list secrets with: tusk list secret"
	case meta.MissingDatum:
		return "list datums with: tusk list datum " + nf.Pipeline + "@" + nf.Job
	}
	return ""
}
