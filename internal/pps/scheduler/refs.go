package scheduler

import (
	"github.com/tuskdata/tusk/internal/tusk"
)

func refOf(c tusk.CommitRef) tusk.Ref {
	return tusk.Ref{Repo: c.Repo, ID: c.ID, Path: "/"}
}
