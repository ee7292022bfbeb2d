package pps

import (
	"github.com/tuskdata/tusk/internal/pfs"
	"github.com/tuskdata/tusk/internal/tusk"
)

func refOf(c tusk.CommitRef) pfs.Ref {
	return pfs.Ref{Repo: c.Repo, ID: c.ID, Path: "/"}
}
