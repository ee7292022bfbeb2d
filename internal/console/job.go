package console

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/tuskdata/tusk/internal/tusk"
)

// datumStates are the states the job page filters datums by.
var datumStates = []string{tusk.DatumQueued, tusk.DatumStarting, tusk.DatumRunning, tusk.DatumSuccess, tusk.DatumSkipped, tusk.DatumFailed, tusk.DatumRecovered}

type jobData struct {
	Job     tusk.JobInfo
	Filters []filter
	State   string // the datum state shown; all if empty
	Datums  []tusk.DatumInfo
	Pager   pager
}

// filter is a link to the job's datums in one state.
type filter struct {
	Label, URL string
	Current    bool
}

// job shows a job's progress and a page (?from=) of its datums, in one
// state when ?state= is given.
func (c *console) job(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pipeline, id := r.PathValue("pipeline"), r.PathValue("id")
	j, err := c.as(r).InspectJob(ctx, pipeline, id)
	if err != nil {
		c.fail(w, r, fmt.Errorf("inspect job %s@%s: %w", pipeline, id, err))
		return
	}
	d := jobData{Job: j, State: r.URL.Query().Get("state")}
	if d.State != "" && !slices.Contains(datumStates, d.State) {
		c.fail(w, r, tusk.Errorf(tusk.KindInvalid, "no datum state %q; want one of %v", d.State, datumStates))
		return
	}
	d.Filters = append(d.Filters, filter{Label: "All", URL: jobURL(pipeline, id), Current: d.State == ""})
	for _, s := range datumStates {
		d.Filters = append(d.Filters, filter{Label: s, URL: jobURL(pipeline, id) + "?state=" + s, Current: d.State == s})
	}
	from := offset(r)
	err = c.as(r).ListDatumsPage(ctx, pipeline, id, d.State, from, pageSize+1, func(di tusk.DatumInfo) error {
		if len(d.Datums) == pageSize {
			return errPageFull
		}
		d.Datums = append(d.Datums, di)
		return nil
	})
	if err != nil && !errors.Is(err, errPageFull) {
		c.fail(w, r, fmt.Errorf("datums of job %s@%s: %w", pipeline, id, err))
		return
	}
	d.Pager = offsetPager(r, from, len(d.Datums), err != nil)
	c.render(w, r, "job", page{
		Title:  "Job " + pipeline + "@" + short(id),
		Crumbs: []crumb{{"Home", "/"}, {pipeline, pipelineURL(pipeline)}},
		Data:   d,
	})
}
