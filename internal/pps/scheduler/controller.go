package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pps"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Run drives every pipeline until ctx ends: one controller per pipeline,
// cron, and a watcher that turns new output commits into jobs. Exactly one
// server sharing the metadata store runs it, the leader (meta.DB.Lead); it
// may run again after it returned, when the server leads again. When it
// returns, its controllers and cron have stopped.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	s.runCtx = ctx
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.runCtx = nil
		clear(s.wakers)
		s.mu.Unlock()
		s.running.Wait()
	}()
	events, stop := s.pfs.Subscribe()
	defer stop()
	servers, err := s.db.AliveServers(ctx)
	if err != nil {
		return err
	}
	if err := s.giveBack(ctx, servers); err != nil {
		return err
	}
	if err := s.startControllers(ctx); err != nil {
		return err
	}
	s.running.Go(func() { s.runCron(ctx) })
	// A pipeline created through another server whose signal was lost
	// gets its controller at the next sweep.
	sweep := time.NewTicker(controllerSweep)
	defer sweep.Stop()
	watch := time.NewTicker(serverWatch)
	defer watch.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-events:
			s.onCommitEvent(ctx, ev)
		case <-sweep.C:
			if err := s.startControllers(ctx); err != nil {
				s.log.Warn("look for new pipelines", "err", err)
			}
		case <-watch.C:
			servers = s.watchServers(ctx, servers)
		}
	}
}

// serverWatch is how often the leader looks for servers that died.
const serverWatch = 2 * time.Second

// watchServers gives back the datums claimed through servers that died
// since before, the servers alive then, and returns those alive now.
func (s *Scheduler) watchServers(ctx context.Context, before meta.Servers) meta.Servers {
	now, err := s.db.AliveServers(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("look for servers that died", "err", err)
		}
		return before
	}
	if before.Lost(now) {
		if err := s.giveBack(ctx, now); err != nil {
			s.log.Warn("give back the datums of a server that died", "err", err)
			return before // try again
		}
	}
	return now
}

// controllerSweep is how often the leader looks for pipelines without a
// controller.
const controllerSweep = time.Minute

// startControllers starts a controller for each pipeline without one.
func (s *Scheduler) startControllers(ctx context.Context) error {
	pipelines, err := s.pipelines(ctx)
	if err != nil {
		return err
	}
	for _, p := range pipelines {
		s.startController(p.Name)
	}
	return nil
}

// StopAllWorkers stops the workers of every pipeline, for a server that
// no longer leads (Run returned) but goes on serving.
func (s *Scheduler) StopAllWorkers(ctx context.Context) {
	s.mu.Lock()
	var names []string
	for n := range s.workers {
		names = append(names, n)
	}
	s.mu.Unlock()
	for _, n := range names {
		if err := s.StopWorkers(ctx, n); err != nil {
			s.log.Warn("stop workers", "pipeline", n, "err", err)
		}
	}
}

// giveBack queues again, at no cost to their tries, the datums claimed
// through servers that are gone, not in alive (a previous run of this
// one, a leader or another server that died): their workers died with
// them, as the runners' workers do, or can no longer reach them, and the
// loss is no fault of the datums'. Claims made through a server alive
// are left to their workers and leases. The leader calls it when it
// begins to lead, and when a server dies.
func (s *Scheduler) giveBack(ctx context.Context, alive meta.Servers) error {
	n := 0
	// Volatile: after a power loss the datums are given back again.
	err := s.db.UpdateVolatile(ctx, func(tx *meta.Tx) error {
		n = 0
		pipelines, err := pps.LoadPipelines(ctx, tx)
		if err != nil {
			return err
		}
		for _, r := range pipelines {
			jobs, err := unfinishedJobs(ctx, tx, r.Name)
			if err != nil {
				return err
			}
			for _, j := range jobs {
				for _, state := range []string{tusk.DatumStarting, tusk.DatumRunning} {
					ds, err := datumsIn(ctx, tx, r.Name, j.ID, state, 0)
					if err != nil {
						return err
					}
					for _, d := range ds {
						if d.Server == s.instance || d.Server != "" && alive.Alive(d.Server) {
							continue
						}
						applyResult(d, tusk.TaskResult{State: tusk.DatumQueued, Reason: "given back: the server its worker reached stopped"}, nil, 0)
						if err := storeDatum(ctx, tx, d, time.Time{}); err != nil {
							return err
						}
						n++
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("give back the datums of stopped workers: %w", err)
	}
	if n > 0 {
		s.log.Info("datums of stopped workers queued again", "datums", n)
	}
	return nil
}

// onCommitEvent makes a job for a new output commit and wakes the
// controllers, whose jobs may wait on input commits.
func (s *Scheduler) onCommitEvent(ctx context.Context, ev tusk.CommitEvent) {
	c := ev.Commit
	if ev.Type == "started" && c.Origin == tusk.OriginAuto && (c.Project == project || c.Project == "") {
		r, err := s.pipeline(ctx, c.Repo)
		if err == nil && r.OutputBranch == c.Branch {
			if err := s.EnsureJob(ctx, c.Repo, c); err != nil {
				s.log.Error("create job", "pipeline", c.Repo, "commit", c.ID, "err", err)
			}
		}
	}
	s.wakeAll()
}

// wakeAll nudges every controller of this server.
func (s *Scheduler) wakeAll() {
	s.mu.Lock()
	names := make([]string, 0, len(s.wakers))
	for n := range s.wakers {
		names = append(names, n)
	}
	s.mu.Unlock()
	for _, n := range names {
		s.wakeHere(n)
	}
}

func (s *Scheduler) startController(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.runCtx == nil || s.wakers[name] != nil {
		return
	}
	wake := make(chan struct{}, 1)
	s.wakers[name] = wake
	ctx := s.runCtx
	s.running.Go(func() { s.control(ctx, name, wake) })
}

func (s *Scheduler) stopController(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.wakers, name)
	delete(s.waits, name)
	delete(s.seen, name)
}

func (s *Scheduler) control(ctx context.Context, name string, wake chan struct{}) {
	s.recoverJobs(ctx, name)
	for {
		s.mu.Lock()
		current := s.wakers[name] == wake
		s.mu.Unlock()
		if !current {
			return
		}
		wait, err := s.step(ctx, name)
		if err != nil {
			if tusk.KindOf(err) == tusk.KindNotFound && s.pipelineGone(ctx, name) {
				// Deleted, perhaps through another server.
				if err := s.StopWorkers(ctx, name); err != nil {
					s.log.Warn("stop workers", "pipeline", name, "err", err)
				}
				s.stopController(name)
				return
			}
			switch {
			case ctx.Err() != nil:
				return
			case errors.Is(err, errJobEnded):
				wait = 0 // the job was ended elsewhere: go on to the next
			default:
				s.log.Error("pipeline controller", "pipeline", name, "err", err)
				wait = 2 * time.Second
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-time.After(wait):
		}
	}
}

// pipelineGone reports whether the pipeline was deleted. Anything else
// not found (an input commit deleted meanwhile, say) is an error its
// controller reports and retries, never a reason to stop.
func (s *Scheduler) pipelineGone(ctx context.Context, name string) bool {
	_, err := s.pipeline(ctx, name)
	return tusk.KindOf(err) == tusk.KindNotFound
}

// recoverJobs makes jobs for open output commits that have none: commits
// made while the server was down, or whose job creation was lost.
func (s *Scheduler) recoverJobs(ctx context.Context, name string) {
	r, err := s.pipeline(ctx, name)
	if err != nil {
		return
	}
	commits, err := s.pfs.ListCommits(ctx, project, name, nil, "", 50)
	if err != nil {
		return
	}
	for i := len(commits) - 1; i >= 0; i-- {
		c := commits[i]
		if c.State == tusk.CommitStarted && c.Origin == tusk.OriginAuto && c.Branch == r.OutputBranch {
			if err := s.EnsureJob(ctx, name, c); err != nil {
				s.log.Error("recover job", "pipeline", name, "commit", c.ID, "err", err)
			}
		}
	}
}

// step moves the pipeline's oldest unfinished job forward and says how
// long to wait, at most, before the next step.
func (s *Scheduler) step(ctx context.Context, name string) (time.Duration, error) {
	var r *pps.PipelineRecord
	var jobs []tusk.JobInfo
	err := s.db.View(ctx, func(tx *meta.Tx) error {
		var err error
		if r, err = pps.LoadPipeline(ctx, tx, name); err != nil {
			return err
		}
		jobs, err = unfinishedJobs(ctx, tx, name)
		return err
	})
	if err != nil {
		return 0, err
	}
	p, err := r.ParseSpec()
	if err != nil {
		return 0, err
	}
	if r.Stopped {
		// Perhaps stopped through another server, which has none of its
		// workers.
		if s.granted(name) {
			if err := s.StopWorkers(ctx, name); err != nil {
				return 0, err
			}
		}
		return time.Minute, s.setState(ctx, name, tusk.PipelinePaused, "")
	}
	if len(jobs) == 0 {
		if p.Autoscaling {
			if err := s.idleWorkers(ctx, r, p); err != nil {
				return 0, err
			}
			return time.Minute, s.setState(ctx, name, tusk.PipelineStandby, "")
		}
		if err := s.ensureWorkers(ctx, r); err != nil {
			return s.workersNotUp(ctx, name, err)
		}
		if p.Spout != nil && r.State == tusk.PipelineCrashing && r.Reason != "" {
			return time.Minute, nil // its worker says when the command is up again
		}
		return time.Minute, s.setState(ctx, name, tusk.PipelineRunning, "")
	}
	if p.Service != nil && len(jobs) > 1 {
		return 0, s.supersede(ctx, &jobs[0], jobs[len(jobs)-1].ID)
	}
	j := &jobs[0]
	if p.JobTimeout > 0 && j.Started != nil && time.Since(*j.Started) > time.Duration(p.JobTimeout) {
		return 0, s.EndJob(ctx, j, tusk.JobKilled, "job timeout ("+time.Duration(p.JobTimeout).String()+") exceeded")
	}
	switch j.State {
	case tusk.JobCreated, tusk.JobStarting:
		return s.startJob(ctx, r, p, j)
	case tusk.JobRunning:
		return s.runJob(ctx, r, p, j)
	case tusk.JobEgressing, tusk.JobFinishing:
		return 0, s.finishJob(ctx, p, j)
	}
	return time.Second, nil
}

func (s *Scheduler) setState(ctx context.Context, name, state, reason string) error {
	return s.db.Update(ctx, func(tx *meta.Tx) error {
		r, err := pps.LoadPipeline(ctx, tx, name)
		if err != nil {
			return err
		}
		if r.State == state && r.Reason == reason {
			return nil
		}
		r.State, r.Reason = state, reason
		return pps.StorePipeline(ctx, tx, r)
	})
}

func (s *Scheduler) ensureWorkers(ctx context.Context, r *pps.PipelineRecord) error {
	p, err := r.ParseSpec()
	if err != nil {
		return err
	}
	n, err := s.grantWorkers(r.Name, pps.Parallelism(p))
	if err != nil {
		return err
	}
	w := workerSpec(r.Name, r.Version, n, p)
	// A spec stored under another runner may ask for what this one
	// cannot honour: its workers do not start, and the job says why.
	if err := s.checkFeatures(p, w); err != nil {
		return err
	}
	if err := s.runner.Ensure(ctx, w); err != nil {
		return err
	}
	return s.noteAddress(ctx, r, w)
}

func (s *Scheduler) saveJob(ctx context.Context, j *tusk.JobInfo) error {
	err := s.db.Update(ctx, func(tx *meta.Tx) error { return storeJob(ctx, tx, j) })
	s.signalJobs()
	return err
}

// pipeline reads the record of a pipeline.
func (s *Scheduler) pipeline(ctx context.Context, name string) (*pps.PipelineRecord, error) {
	var r *pps.PipelineRecord
	err := s.db.View(ctx, func(tx *meta.Tx) error {
		var err error
		r, err = pps.LoadPipeline(ctx, tx, name)
		return err
	})
	return r, err
}

// pipelines reads the records of every pipeline.
func (s *Scheduler) pipelines(ctx context.Context) ([]*pps.PipelineRecord, error) {
	var rs []*pps.PipelineRecord
	err := s.db.View(ctx, func(tx *meta.Tx) error {
		var err error
		rs, err = pps.LoadPipelines(ctx, tx)
		return err
	})
	return rs, err
}
