package pps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Run drives every pipeline until ctx ends: one controller per pipeline,
// cron, and a watcher that turns new output commits into jobs. Exactly one
// server sharing the metadata store runs it, the leader (meta.DB.Lead); it
// may run again after it returned, when the server leads again. When it
// returns, its controllers and cron have stopped.
func (a *API) Run(ctx context.Context) error {
	a.mu.Lock()
	a.runCtx = ctx
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.runCtx = nil
		clear(a.wakers)
		a.mu.Unlock()
		a.running.Wait()
	}()
	events, stop := a.pfs.Subscribe()
	defer stop()
	servers, err := a.db.AliveServers(ctx)
	if err != nil {
		return err
	}
	if err := a.giveBack(ctx, servers); err != nil {
		return err
	}
	if err := a.startControllers(ctx); err != nil {
		return err
	}
	a.running.Go(func() { a.runCron(ctx) })
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
			a.onCommitEvent(ctx, ev)
		case <-sweep.C:
			if err := a.startControllers(ctx); err != nil {
				a.log.Warn("look for new pipelines", "err", err)
			}
		case <-watch.C:
			servers = a.watchServers(ctx, servers)
		}
	}
}

// serverWatch is how often the leader looks for servers that died.
const serverWatch = 2 * time.Second

// watchServers gives back the datums claimed through servers that died
// since before, the servers alive then, and returns those alive now.
func (a *API) watchServers(ctx context.Context, before meta.Servers) meta.Servers {
	now, err := a.db.AliveServers(ctx)
	if err != nil {
		if ctx.Err() == nil {
			a.log.Warn("look for servers that died", "err", err)
		}
		return before
	}
	if before.Lost(now) {
		if err := a.giveBack(ctx, now); err != nil {
			a.log.Warn("give back the datums of a server that died", "err", err)
			return before // try again
		}
	}
	return now
}

// controllerSweep is how often the leader looks for pipelines without a
// controller.
const controllerSweep = time.Minute

// startControllers starts a controller for each pipeline without one.
func (a *API) startControllers(ctx context.Context) error {
	pipelines, err := a.ListPipelines(ctx)
	if err != nil {
		return err
	}
	for _, p := range pipelines {
		a.startController(p.Name)
	}
	return nil
}

// StopWorkers stops the workers of every pipeline, for a server that no
// longer leads (Run returned) but goes on serving.
func (a *API) StopWorkers(ctx context.Context) {
	a.mu.Lock()
	var names []string
	for n := range a.workers {
		names = append(names, n)
	}
	a.mu.Unlock()
	for _, n := range names {
		if err := a.stopWorkers(ctx, n); err != nil {
			a.log.Warn("stop workers", "pipeline", n, "err", err)
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
func (a *API) giveBack(ctx context.Context, alive meta.Servers) error {
	n := 0
	// Volatile: after a power loss the datums are given back again.
	err := a.db.UpdateVolatile(ctx, func(tx *meta.Tx) error {
		n = 0
		docs, err := tx.Pipelines(ctx, project)
		if err != nil {
			return err
		}
		for _, doc := range docs {
			var r record
			if err := json.Unmarshal(doc, &r); err != nil {
				return fmt.Errorf("pipeline record: %w", err)
			}
			docs, err := tx.UnfinishedJobs(ctx, project, r.Name)
			if err != nil {
				return err
			}
			jobs, err := decodeJobs(docs)
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
						if d.Server == a.instance || d.Server != "" && alive.Alive(d.Server) {
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
		a.log.Info("datums of stopped workers queued again", "datums", n)
	}
	return nil
}

// onCommitEvent makes a job for a new output commit and wakes the
// controllers, whose jobs may wait on input commits.
func (a *API) onCommitEvent(ctx context.Context, ev tusk.CommitEvent) {
	c := ev.Commit
	if ev.Type == "started" && c.Origin == tusk.OriginAuto {
		info, err := a.InspectPipeline(ctx, c.Repo)
		if err == nil && info.OutputBranch == c.Branch {
			if err := a.ensureJob(ctx, c.Repo, c); err != nil {
				a.log.Error("create job", "pipeline", c.Repo, "commit", c.ID, "err", err)
			}
		}
	}
	a.wakeAll()
}

// wakeAll nudges every controller of this server.
func (a *API) wakeAll() {
	a.mu.Lock()
	names := make([]string, 0, len(a.wakers))
	for n := range a.wakers {
		names = append(names, n)
	}
	a.mu.Unlock()
	for _, n := range names {
		a.wakeHere(n)
	}
}

func (a *API) startController(name string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.runCtx == nil || a.wakers[name] != nil {
		return
	}
	wake := make(chan struct{}, 1)
	a.wakers[name] = wake
	ctx := a.runCtx
	a.running.Go(func() { a.control(ctx, name, wake) })
}

func (a *API) stopController(name string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.wakers, name)
	delete(a.waits, name)
	delete(a.seen, name)
}

func (a *API) control(ctx context.Context, name string, wake chan struct{}) {
	a.recoverJobs(ctx, name)
	for {
		a.mu.Lock()
		current := a.wakers[name] == wake
		a.mu.Unlock()
		if !current {
			return
		}
		wait, err := a.step(ctx, name)
		if err != nil {
			if tusk.KindOf(err) == tusk.KindNotFound && a.pipelineGone(ctx, name) {
				// Deleted, perhaps through another server.
				if err := a.stopWorkers(ctx, name); err != nil {
					a.log.Warn("stop workers", "pipeline", name, "err", err)
				}
				a.stopController(name)
				return
			}
			switch {
			case ctx.Err() != nil:
				return
			case errors.Is(err, errJobEnded):
				wait = 0 // the job was ended elsewhere: go on to the next
			default:
				a.log.Error("pipeline controller", "pipeline", name, "err", err)
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
func (a *API) pipelineGone(ctx context.Context, name string) bool {
	_, err := a.InspectPipeline(ctx, name)
	return tusk.KindOf(err) == tusk.KindNotFound
}

// recoverJobs makes jobs for open output commits that have none: commits
// made while the server was down, or whose job creation was lost.
func (a *API) recoverJobs(ctx context.Context, name string) {
	info, err := a.InspectPipeline(ctx, name)
	if err != nil {
		return
	}
	commits, err := a.pfs.ListCommits(ctx, name, nil, "", 50)
	if err != nil {
		return
	}
	for i := len(commits) - 1; i >= 0; i-- {
		c := commits[i]
		if c.State == tusk.CommitStarted && c.Origin == tusk.OriginAuto && c.Branch == info.OutputBranch {
			if err := a.ensureJob(ctx, name, c); err != nil {
				a.log.Error("recover job", "pipeline", name, "commit", c.ID, "err", err)
			}
		}
	}
}

// step moves the pipeline's oldest unfinished job forward and says how
// long to wait, at most, before the next step.
func (a *API) step(ctx context.Context, name string) (time.Duration, error) {
	var r *record
	var jobs []tusk.JobInfo
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		var err error
		if r, err = loadPipeline(ctx, tx, name); err != nil {
			return err
		}
		docs, err := tx.UnfinishedJobs(ctx, project, name)
		if err != nil {
			return err
		}
		jobs, err = decodeJobs(docs)
		return err
	})
	if err != nil {
		return 0, err
	}
	p, err := r.spec()
	if err != nil {
		return 0, err
	}
	if r.Stopped {
		// Perhaps stopped through another server, which has none of its
		// workers.
		if a.granted(name) {
			if err := a.stopWorkers(ctx, name); err != nil {
				return 0, err
			}
		}
		return time.Minute, a.setState(ctx, name, tusk.PipelinePaused, "")
	}
	if len(jobs) == 0 {
		if p.Autoscaling {
			if err := a.stopWorkers(ctx, name); err != nil {
				return 0, err
			}
			return time.Minute, a.setState(ctx, name, tusk.PipelineStandby, "")
		}
		if err := a.ensureWorkers(ctx, r); err != nil {
			return a.workersNotUp(ctx, name, err)
		}
		return time.Minute, a.setState(ctx, name, tusk.PipelineRunning, "")
	}
	j := &jobs[0]
	if p.JobTimeout > 0 && j.Started != nil && time.Since(*j.Started) > time.Duration(p.JobTimeout) {
		return 0, a.endJob(ctx, j, tusk.JobKilled, "job timeout ("+time.Duration(p.JobTimeout).String()+") exceeded")
	}
	switch j.State {
	case tusk.JobCreated, tusk.JobStarting:
		return a.startJob(ctx, r, p, j)
	case tusk.JobRunning:
		return a.runJob(ctx, r, p, j)
	case tusk.JobEgressing, tusk.JobFinishing:
		return 0, a.finishJob(ctx, p, j)
	}
	return time.Second, nil
}

func (a *API) setState(ctx context.Context, name, state, reason string) error {
	return a.db.Update(ctx, func(tx *meta.Tx) error {
		r, err := loadPipeline(ctx, tx, name)
		if err != nil {
			return err
		}
		if r.State == state && r.Reason == reason {
			return nil
		}
		r.State, r.Reason = state, reason
		return storePipeline(ctx, tx, r)
	})
}

func (a *API) ensureWorkers(ctx context.Context, r *record) error {
	p, err := r.spec()
	if err != nil {
		return err
	}
	n, err := a.grantWorkers(r.Name, parallelism(p))
	if err != nil {
		return err
	}
	return a.runner.Ensure(ctx, workerSpec(r.Name, r.Version, n, p))
}

func (a *API) saveJob(ctx context.Context, j *tusk.JobInfo) error {
	err := a.db.Update(ctx, func(tx *meta.Tx) error { return storeJob(ctx, tx, j) })
	a.signalJobs()
	return err
}
