package pps

import (
	"context"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Job changes are not events of their own: a watcher looks at the jobs
// again whenever one changed (and every few seconds, for changes made by
// another server on the same metadata), and reports those whose state or
// progress differs from the last look.
const (
	// watchRecent is how many of the newest jobs each look includes next
	// to the unfinished ones, so that a job that starts and ends between
	// two looks is reported too.
	watchRecent = 20
	// watchSpacing is the least time between two looks.
	watchSpacing = 200 * time.Millisecond
	// watchPoll is the most time between two looks.
	watchPoll = 5 * time.Second
)

// jobKey identifies a job.
type jobKey struct{ pipeline, id string }

// jobProgress is what a watcher compares of a job.
type jobProgress struct {
	state, reason                                string
	total, processed, skipped, failed, recovered int64
}

func progressOf(j tusk.JobInfo) jobProgress {
	return jobProgress{j.State, j.Reason, j.DataTotal, j.DataProcessed, j.DataSkipped, j.DataFailed, j.DataRecovered}
}

// WatchJobs calls fn with a "subscribed" event once it watches the jobs,
// then with a "job" event for each job whose state or progress changes,
// until ctx ends or fn returns an error.
func (a *API) WatchJobs(ctx context.Context, fn func(tusk.JobEvent) error) error {
	var last map[jobKey]tusk.JobInfo
	for {
		changed := a.sched.JobsChanged()
		looked := time.Now()
		jobs, err := a.watchedJobs(ctx, last)
		if err != nil {
			return err
		}
		if last == nil {
			err = fn(tusk.JobEvent{Type: "subscribed"})
		}
		for k, j := range jobs {
			if old, ok := last[k]; last != nil && (!ok || progressOf(old) != progressOf(j)) && err == nil {
				err = fn(tusk.JobEvent{Type: "job", Job: &j})
			}
		}
		if err != nil {
			return err
		}
		last = jobs
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		case <-time.After(watchPoll):
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(watchSpacing - time.Since(looked)):
		}
	}
}

// watchedJobs returns the unfinished jobs of every pipeline, the newest
// jobs, and those of before (the jobs of the last look) that still exist.
func (a *API) watchedJobs(ctx context.Context, before map[jobKey]tusk.JobInfo) (map[jobKey]tusk.JobInfo, error) {
	out := map[jobKey]tusk.JobInfo{}
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		add := func(docs [][]byte) error {
			js, err := DecodeJobs(docs)
			for _, j := range js {
				out[jobKey{j.Pipeline, j.ID}] = j
			}
			return err
		}
		docs, err := tx.Jobs(ctx, project, "", "", watchRecent)
		if err != nil {
			return err
		}
		if err := add(docs); err != nil {
			return err
		}
		pipelines, err := LoadPipelines(ctx, tx)
		if err != nil {
			return err
		}
		for _, r := range pipelines {
			if docs, err = tx.UnfinishedJobs(ctx, project, r.Name); err != nil {
				return err
			}
			if err := add(docs); err != nil {
				return err
			}
		}
		for k := range before {
			if _, ok := out[k]; ok {
				continue
			}
			j, err := LoadJob(ctx, tx, k.pipeline, k.id)
			if tusk.KindOf(err) == tusk.KindNotFound {
				continue // deleted
			}
			if err != nil {
				return err
			}
			out[k] = *j
		}
		return nil
	})
	return out, err
}
