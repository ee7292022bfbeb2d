package cli

import (
	"fmt"
	"strconv"
	"time"

	"github.com/tuskdata/tusk/internal/pachapi"
	"github.com/tuskdata/tusk/internal/tusk"
)

// A jobSet is the jobs one change started, one per pipeline it reached,
// under one ID (the commit set's): what pachctl's list job prints one row
// of when it is given neither an ID nor a pipeline.
type jobSet struct {
	ID   string
	Jobs []tusk.JobInfo
}

var jobSetHeader = []string{"ID", "SUBJOBS", "PROGRESS", "CREATED", "MODIFIED"}

// jobSets groups jobs, newest first, by ID, keeping their order.
func jobSets(jobs []tusk.JobInfo) []jobSet {
	var sets []jobSet
	at := map[string]int{}
	for _, j := range jobs {
		i, ok := at[j.ID]
		if !ok {
			i = len(sets)
			at[j.ID] = i
			sets = append(sets, jobSet{ID: j.ID})
		}
		sets[i].Jobs = append(sets[i].Jobs, j)
	}
	return sets
}

// jobSetShape is a job set as pachctl prints it in JSON.
func jobSetShape(s jobSet) any {
	out := pachapi.JobSetInfo{JobSet: pachapi.JobSet{ID: s.ID}}
	for _, j := range s.Jobs {
		out.Jobs = append(out.Jobs, pachapi.JobInfoFrom(j))
	}
	return out
}

// jobSetCells are a job set's table cells: how many of its jobs succeeded
// and failed (pachctl draws these as a bar of green and red), when the
// first was created and when the last was.
func jobSetCells(p printer) func(jobSet) []string {
	return func(s jobSet) []string {
		ok, failed := 0, 0
		created, modified := s.Jobs[0].Created, s.Jobs[0].Created
		for _, j := range s.Jobs {
			switch j.State {
			case tusk.JobSuccess:
				ok++
			case tusk.JobFailure, tusk.JobKilled, tusk.JobUnrunnable:
				failed++
			}
			created, modified = earliest(created, j.Created), latest(modified, j.Created)
		}
		return []string{s.ID, strconv.Itoa(len(s.Jobs)), setProgress(ok, failed, len(s.Jobs)), p.ago(created), p.ago(modified)}
	}
}

// setProgress is the PROGRESS of a job or commit set: "succeeded + failed
// / total"; the rest are still running.
func setProgress(ok, failed, total int) string {
	return fmt.Sprintf("%d + %d / %d", ok, failed, total)
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
