package pps

import (
	"github.com/robfig/cron/v3"

	"github.com/tuskdata/tusk/internal/pps/spec"
)

// Cron inputs tick on a schedule in the syntax of Pachyderm's: a cron
// line (with optional seconds) or a descriptor such as "@every 10s". The
// scheduler commits the ticks; the API bounds how often they may come
// (limits.go).

var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseCron parses the schedule of a cron input.
func ParseCron(schedule string) (cron.Schedule, error) { return cronParser.Parse(schedule) }

// CronInputs returns the cron inputs of a pipeline.
func CronInputs(p *spec.Pipeline) []*spec.CronInput {
	var out []*spec.CronInput
	spec.Walk(p.Input, func(in *spec.Input) {
		if in.Cron != nil {
			out = append(out, in.Cron)
		}
	})
	return out
}
