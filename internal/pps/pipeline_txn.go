package pps

import (
	"context"
	"fmt"

	"github.com/tuskdata/tusk/internal/pfs"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

// CreatePipelineIn is CreatePipeline within a batch of a transaction
// (package txn): the pipeline's records, its output repo and branch, and
// the commit of its first job, which has the batch's ID, are made within
// the batch's metadata transaction. It returns what must follow once
// that transaction committed: the end of the jobs of an updated
// pipeline's earlier version, the new job, and the pipeline's
// controller. The limits of workers and datums are not checked here
// (their checks read outside the transaction): whoever records the
// request checks them first. A missing input branch is made without a
// commit, so that a later request may start its first.
func (a *API) CreatePipelineIn(ctx context.Context, b *pfs.Batch, p *spec.Pipeline, update, reprocess bool) (func(context.Context), error) {
	update, reprocess = update || p.Update, reprocess || p.Reprocess
	inputs, err := prepare(p)
	if err != nil {
		return nil, err
	}
	name, tx := p.Name(), b.Tx()
	for _, c := range CronInputs(p) {
		if _, err := b.CreateRepo(ctx, project, c.Repo, "cron ticks of pipeline "+name); err != nil && tusk.KindOf(err) != tusk.KindExists {
			return nil, err
		}
	}
	for _, in := range inputs {
		in = in.In(project)
		if _, err := tx.Repo(ctx, in.Project, in.Repo); err != nil {
			return nil, fmt.Errorf("pipeline %q input: %w", name, err)
		}
		if err := b.EnsureBranch(ctx, in.Project, in.Repo, in.Branch); err != nil {
			return nil, err
		}
	}
	old, err := LoadPipeline(ctx, tx, name)
	if err != nil && tusk.KindOf(err) != tusk.KindNotFound {
		return nil, err
	}
	r, err := newRecord(p, inputs, old, update, reprocess)
	if err != nil {
		return nil, err
	}
	if old == nil {
		if _, err := b.CreateRepo(ctx, project, name, "output of pipeline "+name); err != nil && tusk.KindOf(err) != tusk.KindExists {
			return nil, err
		}
	}
	if err := StorePipeline(ctx, tx, r); err != nil {
		return nil, err
	}
	if err := tx.AddPipelineVersion(ctx, project, name, r.Version, r.Spec); err != nil {
		return nil, err
	}
	prov := inputs
	if r.Stopped {
		prov = []tusk.BranchRef{}
	}
	c, err := b.SetupOutputBranch(ctx, project, name, p.OutputBranch, prov, !r.Stopped && p.Spout == nil) // a spout has no jobs
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) {
		if old != nil {
			a.killJobs(ctx, name, "pipeline updated", b.ID())
		}
		if c != nil {
			if err := a.sched.EnsureJob(ctx, name, *c); err != nil {
				a.log.Error("create job", "pipeline", name, "commit", c.ID, "err", err)
			}
		}
		a.sched.PipelineChanged(name)
	}, nil
}

// CheckLimits checks a spec against the server's limits of workers (and
// cron schedules), as creating it would.
func (a *API) CheckLimits(ctx context.Context, p *spec.Pipeline) error {
	return a.checkLimits(ctx, p)
}
