package console

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/tuskdata/tusk/internal/tusk"
)

type repoData struct {
	Repo     tusk.Repo
	Pipeline string // the pipeline writing this repo, if any
	Branches []tusk.Branch
	Branch   string // the branch whose history is listed; all commits if empty
	Commits  []tusk.Commit
	Pager    pager
}

// repo shows a repo's branches and a page of its commits, newest first,
// continuing after the commit named by ?after=.
func (c *console) repo(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := r.PathValue("repo")
	repo, err := c.as(r).InspectRepo(ctx, name)
	if err != nil {
		c.fail(w, r, fmt.Errorf("inspect repo %s: %w", name, err))
		return
	}
	d := repoData{Repo: repo, Branch: r.URL.Query().Get("branch")}
	if _, err := c.as(r).InspectPipeline(ctx, name); err == nil {
		d.Pipeline = name
	} else if !errors.Is(err, tusk.ErrNotFound) {
		c.fail(w, r, fmt.Errorf("inspect pipeline %s: %w", name, err))
		return
	}
	if d.Branches, err = c.as(r).ListBranches(ctx, name); err != nil {
		c.fail(w, r, fmt.Errorf("list branches of %s: %w", name, err))
		return
	}
	history := name
	if d.Branch != "" {
		history += "@" + d.Branch
	}
	after := r.URL.Query().Get("after")
	err = c.as(r).ListCommits(ctx, history, after, pageSize+1, func(cm tusk.Commit) error {
		d.Commits = append(d.Commits, cm)
		return nil
	})
	if err != nil {
		c.fail(w, r, fmt.Errorf("list commits of %s: %w", history, err))
		return
	}
	d.Commits, d.Pager = cursorPage(r, d.Commits, func(cm tusk.Commit) string { return cm.ID }, "Newest", "Older")
	c.render(w, r, "repo", page{Title: "Repo " + name, Crumbs: []crumb{{"Home", "/"}}, Data: d})
}
