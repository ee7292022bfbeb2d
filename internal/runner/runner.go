// Package runner defines how pipeline workers are hosted: a Runner starts
// and stops the workers of each pipeline version, and every Runner hosts
// the same worker shim (the tusk binary), as a local process (package
// process), a container (package docker) or, later, a pod. The scheduler
// only sees this interface, so new runners need no scheduler change.
package runner

import (
	"context"

	"github.com/tuskdata/tusk/internal/pps/spec"
)

// Runner starts and stops the workers of pipelines.
type Runner interface {
	// Name says what kind of runner this is ("process", "docker").
	Name() string
	// Ensure makes Workers workers of this pipeline version run,
	// replacing workers of other versions. It is called often and must be
	// cheap when nothing changes.
	Ensure(ctx context.Context, w WorkerSpec) error
	// Stop removes a pipeline's workers.
	Stop(ctx context.Context, pipeline string) error
	// Close removes every worker this runner started.
	Close() error
}

// WorkerSpec describes the workers a pipeline version needs.
type WorkerSpec struct {
	Pipeline string
	Version  int
	Workers  int
	Spec     *spec.Pipeline
}

// Credentials gives each worker a token of its own when it starts,
// revoked when it stops: the token speaks for the worker's pipeline,
// which may read its inputs and write its output, and nothing else.
// Workers find it in $TUSK_WORKER_TOKEN (WorkerTokenEnv).
type Credentials interface {
	Issue(ctx context.Context, pipeline, worker string) (token string, err error)
	Revoke(ctx context.Context, token string) error
}

// WorkerTokenEnv is the environment variable that holds a worker's token.
const WorkerTokenEnv = "TUSK_WORKER_TOKEN"
