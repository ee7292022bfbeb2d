package scheduler

import (
	"context"
	"fmt"

	"github.com/tuskdata/tusk/internal/tusk"
)

// A job whose inputs cannot be read fails at once, with that reason, not
// datum after datum: when an input repo or commit is deleted under it
// (delete repo --force), or when a worker reports that the server could
// not read a datum's inputs (TaskResult.InputError).

// inputsGone returns why job j can no longer read its inputs, "" if it
// can: one of its input commits, or the repo of one, was deleted.
func (s *Scheduler) inputsGone(ctx context.Context, j *tusk.JobInfo) (string, error) {
	for _, in := range j.Inputs {
		_, err := s.pfs.InspectCommit(ctx, refOf(in))
		if tusk.KindOf(err) != tusk.KindNotFound {
			if err != nil {
				return "", fmt.Errorf("input commit %s: %w", in, err)
			}
			continue
		}
		if _, err := s.pfs.InspectRepo(ctx, in.In(project).Project, in.Repo); tusk.KindOf(err) == tusk.KindNotFound {
			repo := in.Repo
			if in.Project != "" {
				repo = in.Project + "/" + in.Repo
			}
			return fmt.Sprintf("input repo %s was deleted", repo), nil
		}
		return fmt.Sprintf("input commit %s was deleted", in), nil
	}
	return "", nil
}

// noteInputFailure records that a datum of a pipeline's job failed
// because its inputs could not be read, and wakes the job's controller,
// which fails the job: here, or on the leader.
func (s *Scheduler) noteInputFailure(pipeline, job, datum, reason string) {
	s.noteInputFailureHere(job, datum, reason)
	if !s.wakeHere(pipeline) {
		s.relay.send(relayed{Kind: relayInput, Pipeline: pipeline, Job: job, Datum: datum, Reason: reason})
	}
}

func (s *Scheduler) noteInputFailureHere(job, datum, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.inputFailures[job]; !ok {
		s.inputFailures[job] = fmt.Sprintf("the inputs of datum %s could not be read: %s", datum, reason)
	}
}

// takeInputFailure returns, once, why a job's inputs could not be read;
// "" if that did not happen.
func (s *Scheduler) takeInputFailure(job string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	reason := s.inputFailures[job]
	delete(s.inputFailures, job)
	return reason
}
