package console

import (
	"context"
	"net/http"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

// progressInterval is how often the event stream checks for running jobs,
// whose datum progress makes no commit event.
const progressInterval = 2 * time.Second

// commitNote is what a "commit" event tells the page.
type commitNote struct {
	Type   string `json:"type"`
	Repo   string `json:"repo"`
	ID     string `json:"id"`
	Branch string `json:"branch,omitempty"`
	State  string `json:"state"`
}

// events streams a "ready" event once subscribed to the API's commit
// events, then a "commit" event for each commit, and a "progress" event
// every few seconds while some pipeline's last job runs, so that pages
// refresh their live parts.
func (c *console) events(w http.ResponseWriter, r *http.Request) {
	s, err := startSSE(w)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	commits, done := feed(ctx, func(fn func(tusk.CommitEvent) error) error { return c.api.SubscribeCommits(ctx, fn) })
	tick := time.NewTicker(progressInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case err := <-done:
			if ctx.Err() == nil {
				c.log.Warn("commit events ended", "err", err)
			}
			return
		case ev := <-commits:
			switch ev.Type {
			case "heartbeat":
			case "subscribed": // from now on no commit goes unreported
				err = s.send("ready", "", nil)
			default:
				cm := ev.Commit
				err = s.send("commit", "", commitNote{Type: ev.Type, Repo: cm.Repo, ID: cm.ID, Branch: cm.Branch, State: cm.State})
			}
		case <-tick.C:
			if c.jobsRunning(ctx) {
				err = s.send("progress", "", nil)
			} else {
				err = s.ping()
			}
		}
		if err != nil {
			return
		}
	}
}

// jobsRunning reports whether some pipeline's last job is not done.
func (c *console) jobsRunning(ctx context.Context) bool {
	pipes, err := c.api.ListPipelines(ctx)
	if err != nil {
		return false
	}
	for _, p := range pipes {
		if p.LastJobState != "" && !tusk.JobDone(p.LastJobState) {
			return true
		}
	}
	return false
}
