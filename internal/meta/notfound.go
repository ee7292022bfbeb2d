package meta

import "github.com/tuskdata/tusk/internal/tusk"

// What a lookup that found nothing sought (NotFound.What).
const (
	MissingProject  = "project"
	MissingRepo     = "repo"
	MissingBranch   = "branch"
	MissingCommit   = "commit"
	MissingPipeline = "pipeline"
	MissingJob      = "job"
	MissingDatum    = "datum"
	MissingSecret   = "secret"
	MissingTxn      = "transaction"
)

// NotFound is the error of a lookup that found no row: of kind
// tusk.KindNotFound, with a plain message, and saying what was sought, so
// that the layer that knows the user's commands can say what to do about
// it (the server's hints).
type NotFound struct {
	What     string // one of the Missing constants
	Repo     string // the repo of a repo, branch or commit
	Pipeline string // the pipeline of a pipeline, job or datum
	Job      string // the job of a datum
	err      *tusk.Error
}

// notFound returns nf as an error whose message is format with args.
func notFound(nf NotFound, format string, args ...any) *NotFound {
	nf.err = tusk.Errorf(tusk.KindNotFound, format, args...)
	return &nf
}

func (e *NotFound) Error() string { return e.err.Error() }

// Unwrap returns the *tusk.Error of kind not found.
func (e *NotFound) Unwrap() error { return e.err }
