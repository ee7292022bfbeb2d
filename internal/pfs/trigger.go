package pfs

import (
	"context"
	"fmt"
	"time"

	units "github.com/docker/go-units"
	"github.com/robfig/cron/v3"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Triggers defer processing: a branch B with a trigger on branch W of the
// same repo keeps its head until the commits finished on W since B's
// head meet the trigger's conditions; then B's head moves to W's, which
// propagates downstream as any move of a head does. Triggers are
// evaluated in the transaction that finishes a commit, so a due trigger
// is never lost, and at the ticks of cron schedules by the leader
// (RunCronTriggers). Triggers chain: B may itself be watched by C.

// cronTriggerParser parses a trigger's cron_spec as Pachyderm does (five
// fields, or a descriptor such as @hourly).
var cronTriggerParser = cron.ParseStandard

// cronRecheck is how often RunCronTriggers looks for new cron triggers
// when no tick is due sooner.
const cronRecheck = time.Minute

// validateTrigger checks a trigger of repo@name before it is stored: the
// watched branch is another branch of the same repo, the conditions
// parse, and triggers form no loop.
func (a *API) validateTrigger(ctx context.Context, tx *meta.Tx, project, repo, name string, trig *tusk.Trigger, provenance []tusk.BranchRef) error {
	if trig.Branch == "" {
		return tusk.Errorf(tusk.KindInvalid, "the trigger of %s@%s names no branch to watch", repo, name).
			WithHint("name a branch of repo %s: --trigger staging", repo)
	}
	if err := tusk.ValidateBranchName(trig.Branch); err != nil {
		return err
	}
	if trig.Cron != "" {
		if _, err := cronTriggerParser(trig.Cron); err != nil {
			return tusk.Errorf(tusk.KindInvalid, "trigger cron spec %q: %v", trig.Cron, err).
				WithHint("give five fields (\"0 * * * *\") or a descriptor (\"@hourly\", \"@every 10m\")")
		}
	}
	if trig.Size != "" {
		if _, err := units.FromHumanSize(trig.Size); err != nil {
			return tusk.Errorf(tusk.KindInvalid, "trigger size %q: %v", trig.Size, err).
				WithHint("give a size such as 1MB, 500K or 2GiB")
		}
	}
	if trig.Commits < 0 {
		return tusk.Errorf(tusk.KindInvalid, "trigger commits %d: can't trigger on a negative number of commits", trig.Commits)
	}
	if trig.Cron == "" && trig.Size == "" && trig.Commits == 0 && !trig.All {
		return tusk.Errorf(tusk.KindInvalid, "the trigger of %s@%s on %s has no condition, so it would never fire", repo, name, trig.Branch).
			WithHint("add --trigger-size, --trigger-cron or --trigger-commits, or --trigger-all to move on every commit")
	}
	if provenance == nil {
		if b, err := tx.Branch(ctx, project, repo, name); err == nil {
			provenance = b.Provenance
		}
	}
	if len(provenance) > 0 {
		return tusk.Errorf(tusk.KindInvalid, "branch %s@%s has provenance %v: its head comes from upstream, so it cannot have a trigger", repo, name, provenance)
	}
	for b := trig.Branch; ; {
		if b == name {
			return tusk.Errorf(tusk.KindInvalid, "the trigger of %s@%s on %s would form a loop of triggers", repo, name, trig.Branch)
		}
		next, err := tx.BranchTrigger(ctx, project, repo, b)
		if err != nil {
			return err
		}
		if next == nil {
			return nil
		}
		b = next.Branch
	}
}

// fireTriggers moves the branches of c's repo whose triggers are met now
// that branch from has the finished head c, and those that chain on
// them, propagating each move in the commit set set.
func (a *API) fireTriggers(ctx context.Context, tx *meta.Tx, from string, c meta.CommitRow, set string) ([]tusk.CommitEvent, error) {
	if c.Error != "" {
		return nil, nil // a failed commit triggers nothing, as in Pachyderm
	}
	project, repo := c.Project, c.Repo
	names, err := tx.TriggeredBranches(ctx, project, repo, false)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, nil
	}
	moved := map[string]*meta.CommitRow{from: &c}
	var evs []tusk.CommitEvent
	var visit func(name string) (*meta.CommitRow, error)
	visit = func(name string) (*meta.CommitRow, error) {
		if head, ok := moved[name]; ok {
			return head, nil
		}
		moved[name] = nil
		trig, err := tx.BranchTrigger(ctx, project, repo, name)
		if err != nil || trig == nil {
			return nil, err
		}
		head, err := visit(trig.Branch)
		if err != nil || head == nil {
			return nil, err
		}
		more, ok, err := a.fireTrigger(ctx, tx, tusk.BranchRef{Project: project, Repo: repo, Branch: name}, trig, *head, *head.Finished, set)
		if err != nil || !ok {
			return nil, err
		}
		evs = append(evs, more...)
		moved[name] = head
		return head, nil
	}
	for _, n := range names {
		if _, err := visit(n.Branch); err != nil {
			return nil, err
		}
	}
	return evs, nil
}

// fireTrigger moves the branch to head if its trigger trig is met at time
// at, and reports whether it moved.
func (a *API) fireTrigger(ctx context.Context, tx *meta.Tx, branch tusk.BranchRef, trig *tusk.Trigger, head meta.CommitRow, at time.Time, set string) ([]tusk.CommitEvent, bool, error) {
	project, repo, name := branch.Project, branch.Repo, branch.Branch
	b, err := tx.Branch(ctx, project, repo, name)
	if err != nil || b.Head == head.ID {
		return nil, false, err
	}
	var old *meta.CommitRow
	if b.Head != "" {
		c, err := tx.Commit(ctx, project, repo, b.Head)
		if err != nil {
			return nil, false, err
		}
		old = &c
	}
	met, err := a.triggered(ctx, tx, trig, old, head, at)
	if err != nil || !met {
		return nil, false, err
	}
	t := now()
	if err := tx.PutBranch(ctx, project, repo, name, head.ID, t); err != nil {
		return nil, false, err
	}
	a.log.Info("trigger moved a branch", "branch", repo+"@"+name, "watched", trig.Branch, "head", head.ID)
	evs, err := a.propagate(ctx, tx, project, repo, name, set, t)
	return evs, err == nil, err
}

// triggered evaluates trig from the triggered branch's head old (nil for
// none) to the watched branch's head, at time at: a cron tick passed
// since old finished, the bytes added, the commits since old; all of
// those set, or any.
func (a *API) triggered(ctx context.Context, tx *meta.Tx, trig *tusk.Trigger, old *meta.CommitRow, head meta.CommitRow, at time.Time) (bool, error) {
	result := trig.All
	merge := func(cond bool) {
		if trig.All {
			result = result && cond
		} else {
			result = result || cond
		}
	}
	if trig.Size != "" {
		size, err := units.FromHumanSize(trig.Size)
		if err != nil {
			return false, fmt.Errorf("trigger size %q: %w", trig.Size, err)
		}
		var oldSize int64
		if old != nil {
			oldSize = old.SizeBytes
		}
		merge(head.SizeBytes-oldSize >= size)
	}
	if trig.Cron != "" {
		sched, err := cronTriggerParser(trig.Cron)
		if err != nil {
			return false, fmt.Errorf("trigger cron spec %q: %w", trig.Cron, err)
		}
		var since time.Time
		if old != nil && old.Finished != nil {
			since = *old.Finished
		}
		merge(!sched.Next(since).After(at))
	}
	if trig.Commits > 0 {
		n, c := int64(1), head
		for ; n < trig.Commits && c.Parent != "" && (old == nil || c.Parent != old.ID); n++ {
			var err error
			if c, err = tx.Commit(ctx, head.Project, head.Repo, c.Parent); err != nil {
				return false, err
			}
		}
		merge(n >= trig.Commits)
	}
	return result, nil
}

// FireCronTriggers evaluates every trigger with a cron schedule as of
// time at, against the head of the branch it watches, and moves the
// branches whose triggers are met (and those that chain on them).
func (a *API) FireCronTriggers(ctx context.Context, at time.Time) error {
	var evs []tusk.CommitEvent
	err := a.db.Update(ctx, func(tx *meta.Tx) error {
		evs = nil
		crons, err := cronTriggers(ctx, tx)
		if err != nil {
			return err
		}
		for _, c := range crons {
			r, trig := c.ref, c.trig
			w, err := tx.Branch(ctx, r.Project, r.Repo, trig.Branch)
			if tusk.KindOf(err) == tusk.KindNotFound || (err == nil && w.Head == "") {
				continue
			}
			if err != nil {
				return err
			}
			head, err := tx.Commit(ctx, r.Project, r.Repo, w.Head)
			if err != nil {
				return err
			}
			if head.State != tusk.CommitFinished || head.Error != "" {
				continue
			}
			set := newID()
			more, ok, err := a.fireTrigger(ctx, tx, r, trig, head, at, set)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			evs = append(evs, more...)
			chained, err := a.fireTriggers(ctx, tx, r.Branch, head, set)
			if err != nil {
				return err
			}
			evs = append(evs, chained...)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("fire cron triggers: %w", err)
	}
	a.publish(ctx, evs...)
	return nil
}

// RunCronTriggers fires cron triggers at their ticks until ctx ends; the
// leading server runs it.
func (a *API) RunCronTriggers(ctx context.Context) {
	for {
		wait := cronRecheck
		next, err := a.nextCronTick(ctx, now())
		if err != nil && ctx.Err() == nil {
			a.log.Error("read cron triggers", "err", err)
		}
		if !next.IsZero() {
			wait = min(wait, max(0, time.Until(next)))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if next.IsZero() || now().Before(next) {
			continue
		}
		if err := a.FireCronTriggers(ctx, now()); err != nil && ctx.Err() == nil {
			a.log.Error("cron triggers", "err", err)
		}
	}
}

// A cronTrigger is a branch with a cron trigger (its ref names its
// project), and its trigger.
type cronTrigger struct {
	ref  tusk.BranchRef
	trig *tusk.Trigger
}

// cronTriggers lists the branches with a cron trigger, of every project,
// with their triggers.
func cronTriggers(ctx context.Context, tx *meta.Tx) ([]cronTrigger, error) {
	projects, err := tx.Projects(ctx)
	if err != nil {
		return nil, err
	}
	var out []cronTrigger
	for _, p := range projects {
		refs, err := tx.TriggeredBranches(ctx, p.Name, "", true)
		if err != nil {
			return nil, err
		}
		for _, r := range refs {
			trig, err := tx.BranchTrigger(ctx, p.Name, r.Repo, r.Branch)
			if err != nil {
				return nil, err
			}
			if trig != nil {
				out = append(out, cronTrigger{r.In(p.Name), trig})
			}
		}
	}
	return out, nil
}

// nextCronTick is the first tick after t of any cron trigger; zero if
// there is none.
func (a *API) nextCronTick(ctx context.Context, t time.Time) (time.Time, error) {
	var next time.Time
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		crons, err := cronTriggers(ctx, tx)
		if err != nil {
			return err
		}
		for _, c := range crons {
			sched, err := cronTriggerParser(c.trig.Cron)
			if err != nil {
				continue // refused when stored; an older store's is skipped
			}
			if n := sched.Next(t); next.IsZero() || n.Before(next) {
				next = n
			}
		}
		return nil
	})
	return next, err
}
