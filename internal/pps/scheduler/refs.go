package scheduler

import (
	"github.com/tuskdata/tusk/internal/tusk"
)

// refOf is the reference to c, a commit a pipeline (of the default
// project) reads or writes.
func refOf(c tusk.CommitRef) tusk.Ref {
	return tusk.Ref{Project: c.Project, Repo: c.Repo, ID: c.ID, Path: "/"}
}
