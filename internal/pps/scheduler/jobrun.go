package scheduler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pps"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

// noteImage records on j the image its datums ran in, taken from one that
// ran, until it has one.
func noteImage(ctx context.Context, tx *meta.Tx, j *tusk.JobInfo, counts map[string]int64) error {
	if j.ImageID != "" {
		return nil
	}
	for _, state := range []string{tusk.DatumSuccess, tusk.DatumFailed} {
		if counts[state] == 0 {
			continue
		}
		ds, err := datumsIn(ctx, tx, j.Pipeline, j.ID, state, 1)
		if err != nil {
			return err
		}
		if len(ds) == 1 && ds[0].ImageID != "" {
			j.ImageID, j.ImageDigest = ds[0].ImageID, ds[0].ImageDigest
			return nil
		}
	}
	return nil
}

// imager is a runner that knows the image each of its workers runs in,
// which the worker itself cannot see: the kube runner reads it from the
// worker's pod, where the node's kubelet wrote it.
type imager interface {
	WorkerImage(ctx context.Context, worker string) (id, digest string, err error)
}

// workerImages fills in, from the runner if it is an imager, the image of
// the results of ended attempts whose worker reported none.
func (s *Scheduler) workerImages(ctx context.Context, results []tusk.TaskResult) []tusk.TaskResult {
	im, ok := s.runner.(imager)
	if !ok {
		return results
	}
	results = slices.Clone(results)
	for i := range results {
		r := &results[i]
		if r.ImageID != "" || r.State == tusk.DatumRunning || r.State == tusk.DatumQueued {
			continue
		}
		id, digest, err := im.WorkerImage(ctx, r.Worker)
		if err != nil {
			s.log.Warn("the image of a worker is not known", "worker", r.Worker, "err", err)
			continue
		}
		r.ImageID, r.ImageDigest = id, digest
	}
	return results
}

// startJob waits for the job's input commits (the job is STARTING
// meanwhile), then makes its datums and sets it RUNNING.
func (s *Scheduler) startJob(ctx context.Context, r *pps.PipelineRecord, p *spec.Pipeline, j *tusk.JobInfo) (time.Duration, error) {
	if j.Started == nil {
		t := now()
		j.Started = &t
	}
	for _, in := range j.Inputs {
		c, err := s.pfs.InspectCommit(ctx, refOf(in))
		if err != nil {
			reason := fmt.Sprintf("input commit %s: %v", in, err)
			if gone, gerr := s.inputsGone(ctx, j); gerr == nil && gone != "" {
				reason = gone
			}
			return 0, s.EndJob(ctx, j, tusk.JobUnrunnable, reason)
		}
		if c.State != tusk.CommitFinished {
			if j.State == tusk.JobCreated {
				j.State = tusk.JobStarting
				if err := s.saveJob(ctx, j); err != nil {
					return 0, err
				}
				s.setLastJobState(ctx, j.Pipeline, j.State)
			}
			return time.Minute, nil // woken by the commit's event
		}
		if c.Error != "" {
			return 0, s.EndJob(ctx, j, tusk.JobUnrunnable, fmt.Sprintf("input commit %s failed: %s", in, c.Error))
		}
	}
	if err := s.planDatums(ctx, p, j); err != nil {
		if over := (*pps.OverLimitError)(nil); errors.As(err, &over) {
			return 0, s.EndJob(ctx, j, tusk.JobFailure, over.Error())
		}
		return 0, err
	}
	s.signalJobs()
	s.setLastJobState(ctx, j.Pipeline, j.State)
	if j.DataTotal > j.DataSkipped {
		s.awaitWorkers(j)
		if err := s.ensureWorkers(ctx, r); err != nil {
			_, err = s.workersNotUp(ctx, r.Name, err)
			return 0, err
		}
	}
	s.setState(ctx, r.Name, tusk.PipelineRunning, "")
	s.signalTasks(j.Pipeline)
	return 0, nil
}

// runJob checks on a running job: done when no datum is queued or running.
func (s *Scheduler) runJob(ctx context.Context, r *pps.PipelineRecord, p *spec.Pipeline, j *tusk.JobInfo) (time.Duration, error) {
	gone, err := s.inputsGone(ctx, j)
	if err != nil {
		return 0, err
	}
	if gone == "" {
		gone = s.takeInputFailure(j.ID)
	}
	if gone != "" {
		return 0, s.EndJob(ctx, j, tusk.JobFailure, gone)
	}
	// Cheap index lookups decide whether the job is done; the counts
	// (a scan of the job's datums) are refreshed at most every second, so
	// that a job of a million datums does not cost a scan per datum.
	var pending bool
	var counts map[string]int64
	refresh := time.Since(s.counted(j.ID)) >= time.Second
	err = s.db.View(ctx, func(tx *meta.Tx) error {
		var err error
		if pending, err = tx.HasDatums(ctx, project, j.Pipeline, j.ID, tusk.DatumQueued, tusk.DatumStarting, tusk.DatumRunning); err != nil {
			return err
		}
		if refresh || !pending {
			if counts, err = tx.CountDatums(ctx, project, j.Pipeline, j.ID); err != nil {
				return err
			}
			return noteImage(ctx, tx, j, counts)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if counts != nil {
		// The job's rows are the datums it runs and those it copied; the
		// datums it skips without a copy are the rest.
		s.markCounted(j.ID)
		own := int64(0)
		for _, n := range counts {
			own += n
		}
		j.DataProcessed, j.DataSkipped = counts[tusk.DatumSuccess], j.DataTotal-own+counts[tusk.DatumSkipped]
		j.DataFailed, j.DataRecovered = counts[tusk.DatumFailed], counts[tusk.DatumRecovered]
	}
	if pending {
		if counts != nil {
			if err := s.saveJob(ctx, j); err != nil {
				return 0, err
			}
		}
		runnerErr := s.ensureWorkers(ctx, r)
		switch {
		case runnerErr != nil:
			if preparing(runnerErr) {
				// The start timeout counts from when the workers can start.
				s.awaitWorkers(j)
			}
			s.workersNotUp(ctx, r.Name, runnerErr)
		case r.State != tusk.PipelineRunning:
			s.setState(ctx, r.Name, tusk.PipelineRunning, "")
		}
		late, left := s.workersLate(j)
		if late {
			return 0, s.EndJob(ctx, j, tusk.JobFailure, s.startFailure(j.Pipeline, runnerErr))
		}
		// Leases of dead workers expire: let waiting workers look again.
		s.signalTasks(j.Pipeline)
		wait := s.lease
		if left > 0 {
			wait = min(wait, left)
		}
		// Count again when the second is up, so that the job's progress
		// shows what changed since (results wake the controller only
		// when they may end the job; see mayEnd).
		wait = min(wait, time.Second-time.Since(s.counted(j.ID)))
		return wait, nil
	}
	if j.DataFailed > 0 {
		reason := "datums failed"
		s.db.View(ctx, func(tx *meta.Tx) error {
			ds, err := datumsIn(ctx, tx, j.Pipeline, j.ID, tusk.DatumFailed, 1)
			if err == nil && len(ds) == 1 {
				reason = fmt.Sprintf("datum %s failed: %s", ds[0].ID, ds[0].Reason)
			}
			return nil
		})
		return 0, s.EndJob(ctx, j, tusk.JobFailure, reason)
	}
	if p.Egress != nil {
		j.State = tusk.JobEgressing
		return 0, s.saveJob(ctx, j)
	}
	j.State = tusk.JobFinishing
	return 0, s.finishJob(ctx, p, j)
}

// counted returns when a job's datums were last counted.
func (s *Scheduler) counted(job string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastCount[job]
}

func (s *Scheduler) markCounted(job string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastCount[job] = time.Now()
}

// finishJob commits the outputs of every successful or skipped datum; two
// datums writing one path fail the job. Its output is made from its
// base's, changed by the datums that changed, unless it goes to an egress
// (which needs every file anyway) or the two overlap: then it is made from
// scratch, which finds the datums at fault.
func (s *Scheduler) finishJob(ctx context.Context, p *spec.Pipeline, j *tusk.JobInfo) error {
	var l, head meta.JobLineage
	err := s.db.View(ctx, func(tx *meta.Tx) error {
		var err error
		if l, _, err = tx.JobLineage(ctx, project, j.Pipeline, j.ID); err != nil {
			return err
		}
		head, _, err = tx.LineageHead(ctx, project, j.Pipeline)
		return err
	})
	if err != nil {
		return err
	}
	// The job's success, its place in the lineage, its output commit and
	// its pipeline's last job state change together.
	succeed := func(tx *meta.Tx) error {
		t := now()
		j.State, j.Finished = tusk.JobSuccess, &t
		if _, err := tx.PromoteJob(ctx, project, j.Pipeline, j.ID); err != nil {
			return err
		}
		return storeEndedJob(ctx, tx, j)
	}
	done := false
	if p.Egress == nil && l.Base > 0 && l.Base == head.Gen {
		if done, err = s.finishFromBase(ctx, j, l, head.Job, succeed); err != nil {
			return err
		}
	}
	if !done {
		files, reason, err := s.jobFiles(ctx, j, l)
		if err != nil {
			return err
		}
		if reason != "" {
			return s.EndJob(ctx, j, tusk.JobFailure, reason)
		}
		if j.State == tusk.JobEgressing {
			if err := s.egressFiles(ctx, p, files); err != nil {
				if tusk.KindOf(err) == tusk.KindInvalid {
					return s.EndJob(ctx, j, tusk.JobFailure, "egress: "+err.Error())
				}
				s.log.Warn("egress failed, retrying", "pipeline", j.Pipeline, "job", j.ID, "err", err)
				return err
			}
		}
		_, err = s.pfs.FinishOutputCommit(ctx, project, j.OutputCommit.Repo, j.ID, files, "", succeed)
		s.signalJobs()
		if errors.Is(err, errJobEnded) || tusk.KindOf(err) == tusk.KindConflict {
			return errJobEnded // stopped or deleted meanwhile
		}
		if err != nil {
			return s.EndJob(ctx, j, tusk.JobFailure, err.Error())
		}
	}
	s.log.Info("job finished", "pipeline", j.Pipeline, "job", j.ID, "datums", j.DataTotal, "processed", j.DataProcessed, "skipped", j.DataSkipped)
	return nil
}
