package pps

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

func newSalt() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// inputBranches returns the branches a pipeline reads, sorted.
func inputBranches(p *spec.Pipeline) []tusk.BranchRef {
	var out []tusk.BranchRef
	spec.Walk(p.Input, func(in *spec.Input) {
		switch {
		case in.PFS != nil:
			out = append(out, tusk.BranchRef{Project: tusk.OtherProject(in.PFS.Project), Repo: in.PFS.Repo, Branch: in.PFS.Branch})
		case in.Cron != nil:
			out = append(out, tusk.BranchRef{Repo: in.Cron.Repo, Branch: "master"})
		}
	})
	slices.SortFunc(out, func(x, y tusk.BranchRef) int {
		return cmp.Or(strings.Compare(x.Project, y.Project), strings.Compare(x.Repo, y.Repo), strings.Compare(x.Branch, y.Branch))
	})
	return slices.Compact(out)
}

// CreatePipeline creates a pipeline, or updates it when update is set. It
// makes the output repo and branch, with provenance on every input branch,
// and starts a job over the current inputs. An update keeps earlier
// results (same salt) unless reprocess is set, and kills running jobs.
func (a *API) CreatePipeline(ctx context.Context, p *spec.Pipeline, update, reprocess bool) (tusk.PipelineInfo, error) {
	update, reprocess = update || p.Update, reprocess || p.Reprocess
	inputs, err := prepare(p)
	if err != nil {
		return tusk.PipelineInfo{}, err
	}
	name := p.Name()
	if err := a.checkLimits(ctx, p); err != nil {
		return tusk.PipelineInfo{}, err
	}
	if err := a.sched.CheckRunner(p); err != nil {
		return tusk.PipelineInfo{}, err
	}
	if err := a.checkDatums(ctx, p); err != nil {
		return tusk.PipelineInfo{}, err
	}
	// Inputs must exist (cron repos are made here).
	var cronRepos []string
	spec.Walk(p.Input, func(in *spec.Input) {
		if in.Cron != nil {
			cronRepos = append(cronRepos, in.Cron.Repo)
		}
	})
	for _, r := range cronRepos {
		if _, err := a.pfs.CreateRepo(ctx, project, r, "cron ticks of pipeline "+name); err != nil && tusk.KindOf(err) != tusk.KindExists {
			return tusk.PipelineInfo{}, err
		}
	}
	for _, in := range inputs {
		in = in.In(project)
		if _, err := a.pfs.InspectRepo(ctx, in.Project, in.Repo); err != nil {
			return tusk.PipelineInfo{}, fmt.Errorf("pipeline %q input: %w", name, err)
		}
		if _, err := a.pfs.InspectBranch(ctx, in.Project, in.Repo, in.Branch); tusk.KindOf(err) == tusk.KindNotFound {
			if _, err := a.pfs.CreateBranch(ctx, in.Project, in.Repo, in.Branch, "", nil, nil); err != nil {
				return tusk.PipelineInfo{}, err
			}
		}
	}

	var old *PipelineRecord
	err = a.db.View(ctx, func(tx *meta.Tx) error {
		r, err := LoadPipeline(ctx, tx, name)
		if err == nil {
			old = r
			return nil
		}
		if tusk.KindOf(err) == tusk.KindNotFound {
			return nil
		}
		return err
	})
	if err != nil {
		return tusk.PipelineInfo{}, err
	}
	r, err := newRecord(p, inputs, old, update, reprocess)
	if err != nil {
		return tusk.PipelineInfo{}, err
	}
	if old == nil {
		if _, err := a.pfs.CreateRepo(ctx, project, name, "output of pipeline "+name); err != nil && tusk.KindOf(err) != tusk.KindExists {
			return tusk.PipelineInfo{}, err
		}
	} else {
		a.killJobs(ctx, name, "pipeline updated")
	}
	err = a.db.Update(ctx, func(tx *meta.Tx) error {
		if err := StorePipeline(ctx, tx, r); err != nil {
			return err
		}
		return tx.AddPipelineVersion(ctx, project, name, r.Version, r.Spec)
	})
	if err != nil {
		return tusk.PipelineInfo{}, err
	}
	prov := inputs
	if r.Stopped {
		prov = []tusk.BranchRef{}
	}
	// A spout's commits are its command's own: it has no jobs.
	c, err := a.pfs.SetupOutputBranch(ctx, project, name, p.OutputBranch, prov, !r.Stopped && p.Spout == nil)
	if err != nil {
		return tusk.PipelineInfo{}, err
	}
	if c != nil {
		if err := a.sched.EnsureJob(ctx, name, *c); err != nil {
			return tusk.PipelineInfo{}, err
		}
	}
	a.sched.PipelineChanged(name)
	return r.PipelineInfo, nil
}

// prepare checks a spec and puts it in the form it is stored in, and
// returns the branches it reads.
func prepare(p *spec.Pipeline) ([]tusk.BranchRef, error) {
	p.Update, p.Reprocess, p.DryRun = false, false, false
	if err := spec.Validate(p); err != nil {
		return nil, tusk.Errorf(tusk.KindInvalid, "%v", err)
	}
	spec.SortInput(p.Input)
	name := p.Name()
	if p.Pipeline.Project != nil && p.Pipeline.Project.Name != "" && p.Pipeline.Project.Name != project {
		return nil, tusk.Errorf(tusk.KindInvalid, "pipeline %q: project %q is not supported yet; Tusk has one project, %q", name, p.Pipeline.Project.Name, project)
	}
	inputs := inputBranches(p)
	for _, in := range inputs {
		if in.Repo == name && in.Project == "" {
			return nil, tusk.Errorf(tusk.KindInvalid, "pipeline %q cannot read its own output repo", name)
		}
	}
	return inputs, nil
}

// newRecord is the record of spec p, reading inputs, of a new pipeline
// (old nil) or of the version after old. Only update may replace old.
func newRecord(p *spec.Pipeline, inputs []tusk.BranchRef, old *PipelineRecord, update, reprocess bool) (*PipelineRecord, error) {
	name := p.Name()
	if old != nil && !update {
		return nil, tusk.Errorf(tusk.KindExists, "pipeline %q already exists", name).
			WithHint("change it with: tusk update pipeline -f <spec>")
	}
	r := &PipelineRecord{PipelineInfo: tusk.PipelineInfo{Name: name, Description: p.Description, Version: 1,
		State: tusk.PipelineStarting, Created: now(), OutputBranch: p.OutputBranch, Inputs: inputs}}
	if old != nil {
		oldSpec, err := old.ParseSpec()
		if err != nil {
			return nil, err
		}
		r.Version, r.Created, r.Stopped = old.Version+1, old.Created, old.Stopped
		p.Salt = oldSpec.Salt
		if oldSpec.OutputBranch != p.OutputBranch {
			return nil, tusk.Errorf(tusk.KindInvalid, "pipeline %q: output_branch cannot change on update (%s -> %s)", name, oldSpec.OutputBranch, p.OutputBranch).
				WithHint("delete the pipeline and create it again")
		}
	}
	if p.Salt == "" || reprocess {
		p.Salt = newSalt()
	}
	r.Updated = now()
	var err error
	if r.Spec, err = marshalText(p); err != nil {
		return nil, err
	}
	return r, nil
}

// InspectPipeline returns a pipeline; version > 0 picks an older spec.
func (a *API) InspectPipeline(ctx context.Context, name string) (tusk.PipelineInfo, error) {
	var out tusk.PipelineInfo
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		r, err := LoadPipeline(ctx, tx, name)
		if err != nil {
			return err
		}
		out = r.PipelineInfo
		return nil
	})
	return out, err
}

// ListPipelines returns every pipeline.
func (a *API) ListPipelines(ctx context.Context) ([]tusk.PipelineInfo, error) {
	var out []tusk.PipelineInfo
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		rs, err := LoadPipelines(ctx, tx)
		for _, r := range rs {
			out = append(out, r.PipelineInfo)
		}
		return err
	})
	return out, err
}

// PipelineHistory returns the specs of a pipeline's last n versions,
// newest first (n <= 0: all).
func (a *API) PipelineHistory(ctx context.Context, name string, n int) ([]json.RawMessage, error) {
	var out []json.RawMessage
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		if _, err := LoadPipeline(ctx, tx, name); err != nil {
			return err
		}
		docs, err := tx.PipelineVersions(ctx, project, name, n)
		for _, d := range docs {
			out = append(out, d)
		}
		return err
	})
	return out, err
}

// DeletePipeline removes a pipeline, its workers, jobs and records, and
// (unless keepRepo) its output repo.
func (a *API) DeletePipeline(ctx context.Context, name string, keepRepo bool) error {
	if _, err := a.InspectPipeline(ctx, name); err != nil {
		return err
	}
	a.killJobs(ctx, name, "pipeline deleted")
	if err := a.sched.StopWorkers(ctx, name); err != nil {
		a.log.Warn("stop workers", "pipeline", name, "err", err)
	}
	err := a.db.Update(ctx, func(tx *meta.Tx) error { return tx.DeletePipeline(ctx, project, name) })
	if err != nil {
		return err
	}
	a.sched.PipelineDeleted(name)
	if keepRepo {
		r, err := a.pfs.InspectRepo(ctx, project, name)
		if err != nil {
			return nil
		}
		for _, b := range r.Branches {
			if _, err := a.pfs.SetupOutputBranch(ctx, project, name, b, []tusk.BranchRef{}, false); err != nil {
				return err
			}
		}
		return nil
	}
	if err := a.pfs.DeleteRepo(ctx, project, name, true); err != nil && tusk.KindOf(err) != tusk.KindNotFound {
		return err
	}
	return nil
}

// StopPipeline kills the pipeline's running jobs and stops it from making
// new ones until StartPipeline.
func (a *API) StopPipeline(ctx context.Context, name string) error {
	return a.setStopped(ctx, name, true)
}

// StartPipeline restarts a stopped pipeline; one job catches up with
// everything committed meanwhile.
func (a *API) StartPipeline(ctx context.Context, name string) error {
	return a.setStopped(ctx, name, false)
}

func (a *API) setStopped(ctx context.Context, name string, stopped bool) error {
	var r *PipelineRecord
	err := a.db.Update(ctx, func(tx *meta.Tx) error {
		var err error
		if r, err = LoadPipeline(ctx, tx, name); err != nil {
			return err
		}
		if r.Stopped == stopped {
			return nil
		}
		r.Stopped = stopped
		r.State = tusk.PipelinePaused
		if !stopped {
			r.State = tusk.PipelineStarting
		}
		return StorePipeline(ctx, tx, r)
	})
	if err != nil {
		return err
	}
	if stopped {
		a.killJobs(ctx, name, "pipeline stopped")
		if _, err := a.pfs.SetupOutputBranch(ctx, project, name, r.OutputBranch, []tusk.BranchRef{}, false); err != nil {
			return err
		}
		a.sched.PipelineChanged(name) // the leader's controller stops its workers
		return a.sched.StopWorkers(ctx, name)
	}
	if _, err := a.pfs.SetupOutputBranch(ctx, project, name, r.OutputBranch, r.Inputs, len(r.Inputs) > 0); err != nil {
		return err
	}
	a.sched.PipelineChanged(name)
	return nil
}

// RerunPipeline starts a new job over the current inputs; with reprocess,
// every datum runs again (a new salt).
func (a *API) RerunPipeline(ctx context.Context, name string, reprocess bool) error {
	info, err := a.InspectPipeline(ctx, name)
	if err != nil {
		return err
	}
	var p spec.Pipeline
	if err := json.Unmarshal(info.Spec, &p); err != nil {
		return err
	}
	_, err = a.CreatePipeline(ctx, &p, true, reprocess)
	return err
}

// ValidatePipeline runs the checks of CreatePipeline without changing
// anything: the spec, its input repos, and whether the name is free
// (unless update).
func (a *API) ValidatePipeline(ctx context.Context, p *spec.Pipeline, update bool) error {
	update = update || p.Update
	if err := spec.Validate(p); err != nil {
		return tusk.Errorf(tusk.KindInvalid, "%v", err)
	}
	name := p.Name()
	crons := map[string]bool{}
	for _, c := range CronInputs(p) {
		crons[c.Repo] = true
	}
	for _, in := range inputBranches(p) {
		if in.Repo == name && in.Project == "" {
			return tusk.Errorf(tusk.KindInvalid, "pipeline %q cannot read its own output repo", name)
		}
		if crons[in.Repo] && in.Project == "" {
			continue
		}
		if _, err := a.pfs.InspectRepo(ctx, in.In(project).Project, in.Repo); err != nil {
			return fmt.Errorf("pipeline %q input: %w", name, err)
		}
	}
	if _, err := a.InspectPipeline(ctx, name); err == nil && !update {
		return tusk.Errorf(tusk.KindExists, "pipeline %q already exists", name).WithHint("change it with: tusk update pipeline -f <spec>")
	}
	if err := a.checkLimits(ctx, p); err != nil {
		return err
	}
	if err := a.sched.CheckRunner(p); err != nil {
		return err
	}
	return a.checkDatums(ctx, p)
}
