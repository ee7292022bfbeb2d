package console

import (
	"fmt"
	"net/http"

	"github.com/tuskdata/tusk/internal/tusk"
)

// recentJobs is how many jobs the home page lists.
const recentJobs = 15

type homeData struct {
	DAG       dag
	Pipelines []tusk.PipelineInfo
	Repos     []tusk.Repo
	Jobs      []tusk.JobInfo
}

// home shows the DAG of repos and pipelines, and the latest jobs.
func (c *console) home(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	repos, err := c.as(r).ListRepos(ctx)
	if err != nil {
		c.fail(w, r, fmt.Errorf("list repos: %w", err))
		return
	}
	pipes, err := c.as(r).ListPipelines(ctx)
	if err != nil {
		c.fail(w, r, fmt.Errorf("list pipelines: %w", err))
		return
	}
	jobs, err := c.as(r).ListJobs(ctx, "", "", recentJobs)
	if err != nil {
		c.fail(w, r, fmt.Errorf("list jobs: %w", err))
		return
	}
	d := homeData{DAG: buildDAG(repos, pipes), Pipelines: pipes, Jobs: jobs}
	for _, repo := range repos {
		if repo.Type == "" || repo.Type == "user" {
			d.Repos = append(d.Repos, repo)
		}
	}
	c.render(w, r, "home", page{Title: "Repos and pipelines", Data: d})
}
