// Package runner defines how pipeline workers are hosted: a Runner starts
// and stops the workers of each pipeline version, and every Runner hosts
// the same worker shim (the tusk binary), as a local process (package
// process), a container (package docker) or, later, a pod. The scheduler
// only sees this interface, so new runners need no scheduler change.
// What a runner promises is checked by the conformance suite that every
// runner's tests run (package runnertest).
package runner

import "context"

// Runner starts and stops the workers of pipelines.
type Runner interface {
	// Name says what kind of runner this is ("process", "docker").
	Name() string
	// Ensure makes Workers workers of this pipeline version run: the
	// workers of other versions are gone when it returns, and scaling
	// starts or removes only the difference. Workers that die come back
	// by themselves. It is called often and must be cheap when nothing
	// changes.
	Ensure(ctx context.Context, w WorkerSpec) error
	// Stop removes a pipeline's workers before it returns.
	Stop(ctx context.Context, pipeline string) error
	// Close removes every worker this runner started; Ensure then fails.
	Close() error
}

// WorkerSpec describes the workers a pipeline version needs: what a
// runner must know to host them, and nothing more. What a worker runs
// (command, stdin, environment, working directory, datum timeout) comes
// with each datum it claims from the server, so runners never see it.
type WorkerSpec struct {
	Pipeline string
	Version  int
	// Workers is how many workers run at once.
	Workers int
	// Image is the pipeline's transform.image, which a runner with
	// containers runs the worker in.
	Image string
	// User is transform.user ("name", "uid" or "uid:gid"), or "" for the
	// image's default user.
	User string
	// Requests and Limits are the pipeline's resource_requests and
	// resource_limits; zero fields are not set.
	Requests, Limits Resources
}

// Resources are the resources of one worker.
type Resources struct {
	// CPU is in cores, possibly fractional.
	CPU float64
	// Memory is in bytes.
	Memory int64
	// Pids is the most processes and threads a worker may hold, set only
	// in Limits.
	Pids int64
}

// Credentials gives each worker a token of its own when it starts,
// revoked when it stops: the token speaks for the worker's pipeline,
// which may read its inputs and write its output, and nothing else.
// Workers find it in $TUSK_WORKER_TOKEN (tusk.WorkerTokenEnv).
type Credentials interface {
	Issue(ctx context.Context, pipeline, worker string) (token string, err error)
	Revoke(ctx context.Context, token string) error
}
