package scheduler

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/tuskdata/tusk/internal/pps"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

// maxReplayedTicks bounds how many missed ticks are replayed at once.
const maxReplayedTicks = 100

// runCron commits tick files to the repos of cron inputs when their
// schedules fire, replaying ticks missed while the server was down.
func (s *Scheduler) runCron(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pipelines, err := s.pipelines(ctx)
		if err != nil {
			continue
		}
		for _, r := range pipelines {
			if r.Stopped {
				continue
			}
			p, err := r.ParseSpec()
			if err != nil {
				continue
			}
			for _, c := range pps.CronInputs(p) {
				if err := s.tickIfDue(ctx, r.PipelineInfo, c); err != nil {
					s.log.Warn("cron tick", "pipeline", r.Name, "input", c.Name, "err", err)
				}
			}
		}
	}
}

// tickIfDue commits the ticks of a cron input due since its last one.
func (s *Scheduler) tickIfDue(ctx context.Context, info tusk.PipelineInfo, c *spec.CronInput) error {
	if c.Spec == spec.CronNever {
		return nil
	}
	sched, err := pps.ParseCron(c.Spec)
	if err != nil {
		return err
	}
	last := info.Created
	if c.Start != nil {
		last = *c.Start
	}
	ticks, err := s.tickFiles(ctx, c.Repo)
	if err != nil {
		return err
	}
	if len(ticks) > 0 {
		if t, err := time.Parse(time.RFC3339, strings.TrimPrefix(ticks[len(ticks)-1], "/")); err == nil && t.After(last) {
			last = t
		}
	}
	var due []time.Time
	for next := sched.Next(last); !next.After(now()) && len(due) < maxReplayedTicks; next = sched.Next(next) {
		due = append(due, next)
	}
	for _, t := range due {
		if err := s.tick(ctx, c, t); err != nil {
			return err
		}
	}
	return nil
}

func (s *Scheduler) tickFiles(ctx context.Context, repo string) ([]string, error) {
	var out []string
	err := s.pfs.ListFiles(ctx, tusk.Ref{Repo: repo, Branch: "master", Path: "/"}, "", func(fi tusk.FileInfo) error {
		out = append(out, fi.Path)
		return nil
	})
	if err != nil && tusk.KindOf(err) != tusk.KindNotFound {
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}

// tick commits an empty file named by the tick time; with overwrite, the
// earlier ticks are removed in the same commit.
func (s *Scheduler) tick(ctx context.Context, c *spec.CronInput, t time.Time) error {
	var ops []tusk.FileOp
	if c.Overwrite {
		ops = append(ops, tusk.FileOp{Op: tusk.OpDelete, Path: "/"})
	}
	ops = append(ops, tusk.FileOp{Op: tusk.OpPut, Path: "/" + t.UTC().Format(time.RFC3339)})
	_, err := s.pfs.ModifyFiles(ctx, tusk.Ref{Repo: c.Repo, Branch: "master", Path: "/"}, ops)
	return err
}

// RunCron ticks every cron input of a pipeline now.
func (s *Scheduler) RunCron(ctx context.Context, pipeline string) error {
	r, err := s.pipeline(ctx, pipeline)
	if err != nil {
		return err
	}
	p, err := r.ParseSpec()
	if err != nil {
		return err
	}
	cs := pps.CronInputs(p)
	if len(cs) == 0 {
		return tusk.Errorf(tusk.KindInvalid, "pipeline %q has no cron input", pipeline)
	}
	for _, c := range cs {
		if err := s.tick(ctx, c, now()); err != nil {
			return err
		}
	}
	return nil
}
