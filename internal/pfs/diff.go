package pfs

import (
	"context"
	"strings"

	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// DiffFiles streams the files under newRef.Path that differ between two
// commits, in path order. Without an old reference the new commit is
// compared with its parent. Cost grows with the changes, not the repo.
func (a *API) DiffFiles(ctx context.Context, newRef tusk.Ref, oldRef *tusk.Ref, fn func(tusk.FileDiff) error) error {
	var nc, oc meta.CommitRow
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		var err error
		if nc, err = a.resolve(ctx, tx, newRef); err != nil {
			return err
		}
		switch {
		case oldRef != nil:
			oc, err = a.resolve(ctx, tx, *oldRef)
		case nc.Parent != "":
			oc, err = tx.Commit(ctx, nc.Project, nc.Repo, nc.Parent)
		}
		return err
	})
	if err != nil {
		return err
	}
	return fileset.Diff(ctx, a.nodes, oc.Root, nc.Root, func(o, n *fileset.File) error {
		p := pathOf(o, n)
		if !under(p, newRef.Path) {
			return nil
		}
		d := tusk.FileDiff{Path: p}
		if o != nil {
			fi := fileInfo(*o, oc.ID)
			d.Old = &fi
		}
		if n != nil {
			fi := fileInfo(*n, nc.ID)
			d.New = &fi
		}
		return fn(d)
	})
}

func pathOf(o, n *fileset.File) string {
	if n != nil {
		return n.Path
	}
	return o.Path
}

// under reports whether p is dir or inside it.
func under(p, dir string) bool {
	return dir == "/" || p == dir || strings.HasPrefix(p, dir+"/")
}
