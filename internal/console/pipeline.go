package console

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/tuskdata/tusk/internal/tusk"
)

// historyDepth is how many past versions of a spec the pipeline page shows.
const historyDepth = 10

type pipelineData struct {
	Pipeline tusk.PipelineInfo
	Tone     string
	History  []version // newest first, the current one excluded
	Jobs     []tusk.JobInfo
	Pager    pager
}

// version is a past spec of a pipeline.
type version struct {
	Number int
	Spec   json.RawMessage
}

// pipeline shows a pipeline's state, spec and spec history, and a page
// (?from=) of its jobs, newest first.
func (c *console) pipeline(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := r.PathValue("name")
	p, err := c.as(r).InspectPipeline(ctx, name)
	if err != nil {
		c.fail(w, r, fmt.Errorf("inspect pipeline %s: %w", name, err))
		return
	}
	d := pipelineData{Pipeline: p, Tone: pipelineTone(p)}
	specs, err := c.as(r).PipelineHistory(ctx, name, historyDepth+1)
	if err != nil {
		c.fail(w, r, fmt.Errorf("history of pipeline %s: %w", name, err))
		return
	}
	for i, spec := range specs {
		if n := p.Version - i; n < p.Version {
			d.History = append(d.History, version{Number: n, Spec: spec})
		}
	}
	from := offset(r)
	jobs, err := c.as(r).ListJobs(ctx, name, "", from+pageSize+1)
	if err != nil {
		c.fail(w, r, fmt.Errorf("jobs of pipeline %s: %w", name, err))
		return
	}
	more := len(jobs) > from+pageSize
	d.Jobs = jobs[min(from, len(jobs)):min(from+pageSize, len(jobs))]
	d.Pager = offsetPager(r, from, len(d.Jobs), more)
	d.Pager.PrevLabel, d.Pager.NextLabel = "Newer jobs", "Older jobs"
	c.render(w, r, "pipeline", page{Title: "Pipeline " + name, Crumbs: []crumb{{"Home", "/"}}, Data: d})
}
