package cli

import (
	"strconv"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

// A jobSet is the jobs one change started, one per pipeline it reached,
// under one ID (the commit set's): what pachctl's list job prints one row
// of when it is given neither an ID nor a pipeline.
type jobSet struct {
	JobSet struct {
		ID string `json:"id"`
	} `json:"job_set"`
	Jobs []tusk.JobInfo `json:"jobs"`
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
			sets = append(sets, jobSet{})
			sets[i].JobSet.ID = j.ID
		}
		sets[i].Jobs = append(sets[i].Jobs, j)
	}
	return sets
}

// jobSetCells are a job set's table cells: its datums summed over its
// jobs, when the first was created and when the last changed.
func jobSetCells(p printer) func(jobSet) []string {
	return func(s jobSet) []string {
		var sum tusk.JobInfo
		created, modified := s.Jobs[0].Created, time.Time{}
		for _, j := range s.Jobs {
			sum.DataProcessed += j.DataProcessed
			sum.DataSkipped += j.DataSkipped
			sum.DataTotal += j.DataTotal
			sum.DataFailed += j.DataFailed
			sum.DataRecovered += j.DataRecovered
			if created.After(j.Created) {
				created = j.Created
			}
			for _, t := range []*time.Time{&j.Created, j.Started, j.Finished} {
				if t != nil && t.After(modified) {
					modified = *t
				}
			}
		}
		return []string{s.JobSet.ID, strconv.Itoa(len(s.Jobs)), jobProgress(sum), p.ago(created), p.ago(modified)}
	}
}
