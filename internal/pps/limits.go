package pps

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pps/datum"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Limits bound what pipeline specs may ask of the server, so that no spec
// can exhaust the machine. A spec over a limit is refused when it is
// created or updated, with the limit and the `tusk up` flag that raises
// it; a job whose inputs grew past the datum limit fails the same way.
type Limits struct {
	// MaxParallelism bounds the workers of one pipeline
	// (--max-parallelism).
	MaxParallelism int
	// MaxTotalParallelism bounds the workers of all pipelines together
	// (--max-total-parallelism).
	MaxTotalParallelism int
	// MaxDatums bounds the datums of one job (--max-datums).
	MaxDatums int64
	// MinCronInterval is the shortest time a cron input may leave between
	// two ticks (--min-cron-interval).
	MinCronInterval time.Duration
	// MaxDatumLogBytes bounds the log kept of each datum, and of each
	// worker outside datums, counted as stored: each line with its
	// pipeline, job, datum and time (--max-datum-log-bytes).
	MaxDatumLogBytes int64
}

// DefaultLimits returns limits that fit this machine: 4 workers per CPU
// for a pipeline and 16 per CPU in all, 10 million datums per job, cron
// ticks at least a second apart, and 16 MiB of log per datum.
func DefaultLimits() Limits {
	n := runtime.NumCPU()
	return Limits{MaxParallelism: 4 * n, MaxTotalParallelism: 16 * n, MaxDatums: 10_000_000,
		MinCronInterval: time.Second, MaxDatumLogBytes: 16 << 20}
}

// OrDefaults returns l with its unset limits set to the defaults.
func (l Limits) OrDefaults() Limits {
	d := DefaultLimits()
	if l.MaxParallelism <= 0 {
		l.MaxParallelism = d.MaxParallelism
	}
	if l.MaxTotalParallelism <= 0 {
		l.MaxTotalParallelism = d.MaxTotalParallelism
	}
	if l.MaxDatums <= 0 {
		l.MaxDatums = d.MaxDatums
	}
	if l.MinCronInterval <= 0 {
		l.MinCronInterval = d.MinCronInterval
	}
	if l.MaxDatumLogBytes <= 0 {
		l.MaxDatumLogBytes = d.MaxDatumLogBytes
	}
	return l
}

// OverLimitError is a job's datum count over the limit: the job fails
// with it rather than being retried.
type OverLimitError struct{ err *tusk.Error }

func (e *OverLimitError) Error() string { return e.err.Error() }
func (e *OverLimitError) Unwrap() error { return e.err }

// checkLimits refuses a validated spec that asks for more workers than
// the server allows, alone or with the other pipelines, or whose cron
// inputs tick too often.
func (a *API) checkLimits(ctx context.Context, p *spec.Pipeline) error {
	name := p.Name()
	want := uint64(1)
	if p.ParallelismSpec != nil && p.ParallelismSpec.Constant > 0 {
		want = p.ParallelismSpec.Constant
	}
	if want > uint64(a.limits.MaxParallelism) {
		return tusk.Errorf(tusk.KindInvalid, "pipeline %q: parallelism_spec.constant is %d, over this server's limit of %d workers per pipeline",
			name, want, a.limits.MaxParallelism).
			WithHint("ask for at most %d, or start the server with a higher --max-parallelism", a.limits.MaxParallelism)
	}
	others, err := a.otherWorkers(ctx, name)
	if err != nil {
		return err
	}
	if total := others + int(want); total > a.limits.MaxTotalParallelism {
		return tusk.Errorf(tusk.KindInvalid, "pipeline %q: its %d workers and the %d of the other pipelines make %d, over this server's limit of %d workers in all",
			name, want, others, total, a.limits.MaxTotalParallelism).
			WithHint("ask for at most %d, delete or shrink other pipelines, or start the server with a higher --max-total-parallelism",
				max(a.limits.MaxTotalParallelism-others, 0))
	}
	for _, c := range CronInputs(p) {
		if err := a.checkCron(name, c); err != nil {
			return err
		}
	}
	return nil
}

// otherWorkers counts the workers the pipelines other than name ask for,
// stopped ones included, as they may start again.
func (a *API) otherWorkers(ctx context.Context, name string) (int, error) {
	var rs []*PipelineRecord
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		var err error
		rs, err = LoadPipelines(ctx, tx)
		return err
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range rs {
		if r.Name == name {
			continue
		}
		p, err := r.ParseSpec()
		if err != nil {
			return 0, err
		}
		n += Parallelism(p)
	}
	return n, nil
}

// checkCron refuses a cron input whose ticks come closer together than
// the server allows.
func (a *API) checkCron(pipeline string, c *spec.CronInput) error {
	if c.Spec == spec.CronNever {
		return nil
	}
	gap, err := cronGap(c.Spec)
	if err != nil {
		return tusk.Errorf(tusk.KindInvalid, "pipeline %q: cron input %q: %v", pipeline, c.Name, err)
	}
	if gap < a.limits.MinCronInterval {
		return tusk.Errorf(tusk.KindInvalid, "pipeline %q: cron input %q (spec %q) ticks %s apart, more often than this server's minimum of %s",
			pipeline, c.Name, c.Spec, gap, a.limits.MinCronInterval).
			WithHint("use a longer interval, or start the server with a lower --min-cron-interval")
	}
	return nil
}

// cronGap returns the shortest time between two ticks of a cron schedule:
// the interval of "@every", else the shortest gap among its next ticks.
func cronGap(schedule string) (time.Duration, error) {
	if d, ok := strings.CutPrefix(schedule, "@every "); ok {
		gap, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil {
			return 0, fmt.Errorf("spec %q: %w", schedule, err)
		}
		return gap, nil
	}
	sched, err := ParseCron(schedule)
	if err != nil {
		return 0, fmt.Errorf("spec %q: %w", schedule, err)
	}
	gap := time.Duration(1<<63 - 1)
	prev := sched.Next(now())
	for range 64 {
		next := sched.Next(prev)
		if next.IsZero() {
			break
		}
		gap = min(gap, next.Sub(prev))
		prev = next
	}
	return gap, nil
}

// checkDatums refuses a spec whose inputs, at the heads of their
// branches, have more datums than the server allows; it counts them
// without making them.
func (a *API) checkDatums(ctx context.Context, p *spec.Pipeline) error {
	if p.Input == nil {
		return nil // a spout
	}
	in, err := a.headInput(ctx, p)
	if err != nil {
		return err
	}
	n, err := datum.Count(in, InputLister(ctx, a.pfs.InputFiles))
	if err != nil {
		return err
	}
	if n > a.limits.MaxDatums {
		return a.limits.TooManyDatums(p.Name(), n, "its inputs' current commits")
	}
	return nil
}

// TooManyDatums is the error of a pipeline with n datums, counted over
// what, more than l allows.
func (l Limits) TooManyDatums(pipeline string, n int64, over string) *OverLimitError {
	return &OverLimitError{tusk.Errorf(tusk.KindInvalid, "pipeline %q has %d datums over %s, over this server's limit of %d datums per job",
		pipeline, n, over, l.MaxDatums).
		WithHint("use a glob that makes fewer, larger datums, cross fewer inputs, or start the server with a higher --max-datums")}
}

// Parallelism is the number of workers of a pipeline.
func Parallelism(p *spec.Pipeline) int {
	if p.ParallelismSpec != nil && p.ParallelismSpec.Constant > 0 {
		return int(min(p.ParallelismSpec.Constant, 1<<16))
	}
	return 1
}
