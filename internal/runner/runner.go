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
