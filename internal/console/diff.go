package console

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/tuskdata/tusk/internal/tusk"
)

type diffData struct {
	Commit  tusk.Commit
	Changes []change
	Pager   pager
}

// change is one file's difference between a commit and its parent.
type change struct {
	tusk.FileDiff
	Kind string // "added", "deleted" or "modified"
}

// diff lists a page (?from=) of the files that differ between a commit and
// its parent.
func (c *console) diff(w http.ResponseWriter, r *http.Request) {
	cm, ok := c.inspectCommit(w, r)
	if !ok {
		return
	}
	d := diffData{Commit: cm}
	from, n := offset(r), 0
	err := c.as(r).DiffFiles(r.Context(), cm.Repo+"@"+cm.ID, "", func(fd tusk.FileDiff) error {
		if n++; n <= from {
			return nil
		}
		if len(d.Changes) == pageSize {
			return errPageFull
		}
		ch := change{FileDiff: fd, Kind: "modified"}
		switch {
		case fd.Old == nil:
			ch.Kind = "added"
		case fd.New == nil:
			ch.Kind = "deleted"
		}
		d.Changes = append(d.Changes, ch)
		return nil
	})
	if err != nil && !errors.Is(err, errPageFull) {
		c.fail(w, r, fmt.Errorf("diff %s@%s: %w", cm.Repo, cm.ID, err))
		return
	}
	d.Pager = offsetPager(r, from, len(d.Changes), err != nil)
	c.render(w, r, "diff", page{
		Title:  "Changes in " + cm.Repo + "@" + short(cm.ID),
		Crumbs: []crumb{{"Home", "/"}, {cm.Repo, repoURL(cm.Repo)}, {"Commit " + short(cm.ID), commitURL(cm.Repo, cm.ID)}},
		Data:   d,
	})
}
