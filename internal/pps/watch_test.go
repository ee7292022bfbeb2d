package pps_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

func TestJobEvents(t *testing.T) { jobEvents(t, newEnv(t)) }

func TestJobEventsPostgres(t *testing.T) { jobEvents(t, newPostgresEnv(t)) }

// jobEvents: a subscriber hears of a job as it starts, as its datums
// finish, and as it ends; a job that another one follows is reported too.
func jobEvents(t *testing.T, e *env) {
	e.repo("in")
	e.pipeline(`{"pipeline": {"name": "p"}, "transform": {"cmd": ["sh", "-c", "sleep 0.5; cp $in /pfs/out/"]},
	 "datum_set_spec": {"number": 1}, "input": {"pfs": {"repo": "in", "glob": "/*"}}}`)
	ctx, cancel := context.WithTimeout(e.ctx, time.Minute)
	defer cancel()
	events := make(chan tusk.JobEvent)
	go e.c.SubscribeJobs(ctx, func(ev tusk.JobEvent) error {
		select {
		case events <- ev:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	if ev := <-events; ev.Type != "subscribed" {
		t.Fatalf("first event %+v, want subscribed", ev)
	}
	in := e.put("in", "/a", "1", "/b", "2", "/c", "3", "/d", "4", "/e", "5")
	var seen []string
	for {
		var ev tusk.JobEvent
		select {
		case ev = <-events:
		case <-ctx.Done():
			t.Fatalf("job events %q, then none for a minute", seen)
		}
		if ev.Type != "job" || ev.Job.Pipeline != "p" || ev.Job.ID != in.ID {
			continue
		}
		seen = append(seen, fmt.Sprintf("%s %d/%d", ev.Job.State, ev.Job.DataProcessed, ev.Job.DataTotal))
		if tusk.JobDone(ev.Job.State) {
			break
		}
	}
	if seen[len(seen)-1] != "SUCCESS 5/5" {
		t.Errorf("job events %q, want the last to be SUCCESS 5/5", seen)
	}
	// The five datums take seconds, and a running job's datums are counted
	// every second: the job is heard of between its start and its end.
	var processed []int64
	for _, ev := range seen {
		var state string
		var n, total int64
		fmt.Sscanf(ev, "%s %d/%d", &state, &n, &total)
		if state == tusk.JobRunning {
			processed = append(processed, n)
		}
	}
	if len(processed) < 2 || processed[0] != 0 || !slices.IsSorted(processed) || processed[len(processed)-1] == 0 {
		t.Errorf("job events %q, want the job running from 0/5 and its progress moving", seen)
	}
}
