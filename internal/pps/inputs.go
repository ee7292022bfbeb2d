package pps

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
func (a *API) inputsGone(ctx context.Context, j *tusk.JobInfo) (string, error) {
	for _, in := range j.Inputs {
		_, err := a.pfs.InspectCommit(ctx, refOf(in))
		if tusk.KindOf(err) != tusk.KindNotFound {
			if err != nil {
				return "", fmt.Errorf("input commit %s: %w", in, err)
			}
			continue
		}
		if _, err := a.pfs.InspectRepo(ctx, in.Repo); tusk.KindOf(err) == tusk.KindNotFound {
			return fmt.Sprintf("input repo %s was deleted", in.Repo), nil
		}
		return fmt.Sprintf("input commit %s@%s was deleted", in.Repo, in.ID), nil
	}
	return "", nil
}

// noteInputFailure records that a datum of a pipeline's job failed
// because its inputs could not be read, and wakes the job's controller,
// which fails the job: here, or on the leader.
func (a *API) noteInputFailure(pipeline, job, datum, reason string) {
	a.noteInputFailureHere(job, datum, reason)
	if !a.wakeHere(pipeline) {
		a.relay.send(relayed{Kind: relayInput, Pipeline: pipeline, Job: job, Datum: datum, Reason: reason})
	}
}

func (a *API) noteInputFailureHere(job, datum, reason string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.inputFailures[job]; !ok {
		a.inputFailures[job] = fmt.Sprintf("the inputs of datum %s could not be read: %s", datum, reason)
	}
}

// takeInputFailure returns, once, why a job's inputs could not be read;
// "" if that did not happen.
func (a *API) takeInputFailure(job string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	reason := a.inputFailures[job]
	delete(a.inputFailures, job)
	return reason
}
