package console

import (
	"context"
	"net/http"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

// pingInterval is how often an idle event stream sends a comment, which
// keeps proxies from closing it and tells the server when the browser has
// gone.
const pingInterval = 15 * time.Second

// commitNote is what a "commit" event tells the page.
type commitNote struct {
	Type   string `json:"type"`
	Repo   string `json:"repo"`
	ID     string `json:"id"`
	Branch string `json:"branch,omitempty"`
	State  string `json:"state"`
}

// jobNote is what a "job" event tells the page: a job's state and
// progress.
type jobNote struct {
	Pipeline  string `json:"pipeline"`
	ID        string `json:"id"`
	State     string `json:"state"`
	Total     int64  `json:"total"`
	Processed int64  `json:"processed"`
	Skipped   int64  `json:"skipped"`
	Failed    int64  `json:"failed"`
}

// events streams a "ready" event once subscribed to the API's commit and
// job events, then a "commit" event for each commit and a "job" event
// each time a job's state or progress changes, so that pages refresh
// their live parts.
func (c *console) events(w http.ResponseWriter, r *http.Request) {
	s, err := startSSE(w)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	commits, commitsDone := feed(ctx, func(fn func(tusk.CommitEvent) error) error { return c.as(r).SubscribeCommits(ctx, fn) })
	jobs, jobsDone := feed(ctx, func(fn func(tusk.JobEvent) error) error { return c.as(r).SubscribeJobs(ctx, fn) })
	subscribed := 0 // to commits, to jobs
	tick := time.NewTicker(pingInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case err := <-commitsDone:
			if ctx.Err() == nil {
				c.log.Warn("commit events ended", "err", err)
			}
			return
		case err := <-jobsDone:
			if ctx.Err() == nil {
				c.log.Warn("job events ended", "err", err)
			}
			return
		case ev := <-commits:
			switch ev.Type {
			case "heartbeat":
			case "subscribed": // from now on no commit goes unreported
				if subscribed++; subscribed == 2 {
					err = s.send("ready", "", nil)
				}
			default:
				cm := ev.Commit
				err = s.send("commit", "", commitNote{Type: ev.Type, Repo: cm.Repo, ID: cm.ID, Branch: cm.Branch, State: cm.State})
			}
		case ev := <-jobs:
			switch ev.Type {
			case "subscribed":
				if subscribed++; subscribed == 2 {
					err = s.send("ready", "", nil)
				}
			case "job":
				j := ev.Job
				err = s.send("job", "", jobNote{Pipeline: j.Pipeline, ID: j.ID, State: j.State,
					Total: j.DataTotal, Processed: j.DataProcessed, Skipped: j.DataSkipped, Failed: j.DataFailed})
			}
		case <-tick.C:
			err = s.ping()
		}
		if err != nil {
			return
		}
	}
}
