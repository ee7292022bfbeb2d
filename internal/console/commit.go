package console

import (
	"fmt"
	"net/http"

	"github.com/tuskdata/tusk/internal/tusk"
)

type commitData struct {
	Commit     tusk.Commit
	Set        []tusk.Commit  // every commit with the same ID
	Jobs       []tusk.JobInfo // the jobs of the commit set
	Downstream []tusk.Commit  // commits of the set made from this one
}

// commit shows a commit, its commit set and jobs, and its provenance both
// ways. {id} may name a branch, whose head is shown.
func (c *console) commit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ref := r.PathValue("repo") + "@" + r.PathValue("id")
	cm, err := c.as(r).InspectCommit(ctx, ref)
	if err != nil {
		c.fail(w, r, fmt.Errorf("inspect commit %s: %w", ref, err))
		return
	}
	d := commitData{Commit: cm}
	if d.Set, err = c.as(r).CommitSet(ctx, cm.ID); err != nil {
		c.fail(w, r, fmt.Errorf("commit set %s: %w", cm.ID, err))
		return
	}
	if d.Jobs, err = c.as(r).ListJobs(ctx, "", cm.ID, 0); err != nil {
		c.fail(w, r, fmt.Errorf("jobs of commit set %s: %w", cm.ID, err))
		return
	}
	for _, other := range d.Set {
		for _, p := range other.Provenance {
			if p.Repo == cm.Repo && p.ID == cm.ID {
				d.Downstream = append(d.Downstream, other)
				break
			}
		}
	}
	c.render(w, r, "commit", page{
		Title:  "Commit " + cm.Repo + "@" + short(cm.ID),
		Crumbs: []crumb{{"Home", "/"}, {cm.Repo, repoURL(cm.Repo)}},
		Data:   d,
	})
}
