package pps

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// maxReplayedTicks bounds how many missed ticks are replayed at once.
const maxReplayedTicks = 100

// runCron commits tick files to the repos of cron inputs when their
// schedules fire, replaying ticks missed while the server was down.
func (a *API) runCron(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pipelines, err := a.ListPipelines(ctx)
		if err != nil {
			continue
		}
		for _, info := range pipelines {
			if info.Stopped {
				continue
			}
			r := record{PipelineInfo: info}
			p, err := r.spec()
			if err != nil {
				continue
			}
			for _, c := range cronInputs(p) {
				if err := a.tickIfDue(ctx, info, c); err != nil {
					a.log.Warn("cron tick", "pipeline", info.Name, "input", c.Name, "err", err)
				}
			}
		}
	}
}

func cronInputs(p *spec.Pipeline) []*spec.CronInput {
	var out []*spec.CronInput
	spec.Walk(p.Input, func(in *spec.Input) {
		if in.Cron != nil {
			out = append(out, in.Cron)
		}
	})
	return out
}

// tickIfDue commits the ticks of a cron input due since its last one.
func (a *API) tickIfDue(ctx context.Context, info tusk.PipelineInfo, c *spec.CronInput) error {
	if c.Spec == spec.CronNever {
		return nil
	}
	sched, err := cronParser.Parse(c.Spec)
	if err != nil {
		return err
	}
	last := info.Created
	if c.Start != nil {
		last = *c.Start
	}
	ticks, err := a.tickFiles(ctx, c.Repo)
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
		if err := a.tick(ctx, c, t); err != nil {
			return err
		}
	}
	return nil
}

func (a *API) tickFiles(ctx context.Context, repo string) ([]string, error) {
	var out []string
	err := a.pfs.ListFiles(ctx, tusk.Ref{Repo: repo, Branch: "master", Path: "/"}, "", func(fi tusk.FileInfo) error {
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
func (a *API) tick(ctx context.Context, c *spec.CronInput, t time.Time) error {
	var ops []tusk.FileOp
	if c.Overwrite {
		ops = append(ops, tusk.FileOp{Op: tusk.OpDelete, Path: "/"})
	}
	ops = append(ops, tusk.FileOp{Op: tusk.OpPut, Path: "/" + t.UTC().Format(time.RFC3339)})
	_, err := a.pfs.ModifyFiles(ctx, tusk.Ref{Repo: c.Repo, Branch: "master", Path: "/"}, ops)
	return err
}

// RunCron ticks every cron input of a pipeline now.
func (a *API) RunCron(ctx context.Context, pipeline string) error {
	info, err := a.InspectPipeline(ctx, pipeline)
	if err != nil {
		return err
	}
	r := record{PipelineInfo: info}
	p, err := r.spec()
	if err != nil {
		return err
	}
	cs := cronInputs(p)
	if len(cs) == 0 {
		return tusk.Errorf(tusk.KindInvalid, "pipeline %q has no cron input", pipeline)
	}
	for _, c := range cs {
		if err := a.tick(ctx, c, now()); err != nil {
			return err
		}
	}
	return nil
}
