package console

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/tuskdata/tusk/internal/tusk"
)

type datumData struct {
	Datum  tusk.DatumInfo
	Job    tusk.JobInfo
	Logs   []tusk.LogLine
	Follow string // the log stream to follow while the job runs
}

// datum shows a datum's inputs, outputs, attempts and timing, and its
// logs; the page follows new log lines while the job runs.
func (c *console) datum(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pipeline, id, datum := r.PathValue("pipeline"), r.PathValue("id"), r.PathValue("datum")
	j, err := c.as(r).InspectJob(ctx, pipeline, id)
	if err != nil {
		c.fail(w, r, fmt.Errorf("inspect job %s@%s: %w", pipeline, id, err))
		return
	}
	d := datumData{Job: j}
	if d.Datum, err = c.as(r).InspectDatum(ctx, pipeline, id, datum); err != nil {
		c.fail(w, r, fmt.Errorf("inspect datum %s of job %s@%s: %w", datum, pipeline, id, err))
		return
	}
	err = c.as(r).Logs(ctx, pipeline, id, datum, false, func(l tusk.LogLine) error {
		d.Logs = append(d.Logs, l)
		return nil
	})
	if err != nil {
		c.fail(w, r, fmt.Errorf("logs of datum %s: %w", datum, err))
		return
	}
	if !tusk.JobDone(j.State) {
		d.Follow = datumURL(pipeline, id, datum) + "/logs?skip=" + strconv.Itoa(len(d.Logs))
	}
	c.render(w, r, "datum", page{
		Title:  "Datum " + short(datum),
		Crumbs: []crumb{{"Home", "/"}, {pipeline, pipelineURL(pipeline)}, {"Job " + short(id), jobURL(pipeline, id)}},
		Data:   d,
	})
}
