package scheduler

import (
	"context"

	"github.com/tuskdata/tusk/internal/pps"
	"github.com/tuskdata/tusk/internal/tusk"
)

// A spout has no jobs: its worker is handed one task, the spout's command,
// which it runs until it stops, again whenever it exits. The command
// writes to the output repo itself, with the worker's token (which may
// write only there), so its commits are users' commits, with no
// provenance. The worker reports the command's ups and downs as results
// of no job, which set the pipeline's state: RUNNING once it stays up,
// CRASHING, with the reason, when it exits.

// spoutTasks returns the task of r's worker if r is a spout, else none.
func spoutTasks(r *pps.PipelineRecord) ([]tusk.Task, error) {
	p, err := r.ParseSpec()
	if err != nil || p.Spout == nil {
		return nil, err
	}
	return []tusk.Task{{Pipeline: p.Name(), Spout: true, Env: taskEnv(p, nil), Cmd: p.Transform.Cmd,
		Stdin: p.Transform.Stdin, WorkingDir: p.Transform.WorkingDir, User: p.Transform.User}}, nil
}

// spoutReports records the reports of spouts' workers in results (those of
// no job) as their pipelines' states, and returns the others.
func (s *Scheduler) spoutReports(ctx context.Context, results []tusk.TaskResult) ([]tusk.TaskResult, error) {
	rest := results[:0:0]
	for _, res := range results {
		if res.Job != "" {
			rest = append(rest, res)
			continue
		}
		state := tusk.PipelineRunning
		if res.State != tusk.DatumRunning {
			state = tusk.PipelineCrashing
		}
		err := s.setState(ctx, res.Pipeline, state, res.Reason)
		if err != nil && tusk.KindOf(err) != tusk.KindNotFound {
			return nil, err
		}
		if state == tusk.PipelineCrashing {
			s.log.Warn("spout command exited", "pipeline", res.Pipeline, "worker", res.Worker, "reason", res.Reason)
		}
	}
	return rest, nil
}
