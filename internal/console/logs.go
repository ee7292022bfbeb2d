package console

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

// logNote is what a "line" event tells the page.
type logNote struct {
	Time    string `json:"time"`
	ISO     string `json:"iso"`
	Message string `json:"message"`
	User    bool   `json:"user"`
}

// jobCheckInterval is how often a log stream checks whether its job has
// ended.
const jobCheckInterval = 2 * time.Second

// followLogs streams a datum's log lines as "line" events, skipping the
// first ?skip= (the page has them) or, when the browser reconnects, the
// lines up to its Last-Event-ID. When the job is done it sends the last
// lines and an "end" event.
func (c *console) followLogs(w http.ResponseWriter, r *http.Request) {
	pipeline, id, datum := r.PathValue("pipeline"), r.PathValue("id"), r.PathValue("datum")
	skip, _ := strconv.Atoi(r.URL.Query().Get("skip"))
	if last, err := strconv.Atoi(r.Header.Get("Last-Event-ID")); err == nil {
		skip = last
	}
	s, err := startSSE(w)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	lines, _ := feed(ctx, func(fn func(tusk.LogLine) error) error { return c.as(r).Logs(ctx, pipeline, id, datum, true, fn) })
	tick := time.NewTicker(jobCheckInterval)
	defer tick.Stop()
	n, ending := 0, false
	for {
		select {
		case <-ctx.Done():
			return
		case l := <-lines:
			if n++; n <= skip {
				continue
			}
			err = s.send("line", strconv.Itoa(n), logNote{
				Time: l.Time.UTC().Format("15:04:05.000"), ISO: l.Time.Format(time.RFC3339Nano), Message: l.Message, User: l.User,
			})
		case <-tick.C:
			if ending { // the job ended a tick ago: its last lines are in
				s.send("end", "", nil)
				return
			}
			j, jerr := c.as(r).InspectJob(ctx, pipeline, id)
			ending = jerr != nil || tusk.JobDone(j.State)
			err = s.ping()
		}
		if err != nil {
			return
		}
	}
}
