package runnertest

import (
	"testing"

	"github.com/tuskdata/tusk/internal/runner"
)

// API is the server the workers of a runner under test reach.
type API struct {
	// Socket is a Unix socket that serves the Tusk API, open to every
	// local user.
	Socket string
	// Credentials issue the workers' tokens: the runner gives each worker
	// the one issued for it, or for its version (Target.PerVersion).
	Credentials runner.Credentials
}

// Target is a runner under test, with a view of its workers that does
// not go through it.
type Target struct {
	Runner runner.Runner
	// Image is the image workers run in, for runners that run images.
	Image string
	// Workers returns the runner's workers that exist now, by worker ID,
	// each with the instance that runs it (a process ID, a container ID, a
	// pod UID). It asks the platform (the process table, the engine, the
	// cluster's API), never the runner; an instance that is being
	// removed still counts until it is gone.
	Workers func(t *testing.T) map[string]string
	// Kill kills an instance as a crash would, unknown to the runner.
	Kill func(t *testing.T, instance string)
	// PerVersion, if not nil, says that the runner's workers of a pipeline
	// version share one token and that the platform names them; nil
	// means the workers are named <pipeline>-v<version>-<i>, each with a
	// token of its own.
	PerVersion *PerVersion
}

// PerVersion describes a runner that issues one token for each pipeline
// version, which all its workers hold (the kube runner's Secret per
// Deployment), and whose workers the platform names (pods). The suite then
// checks the same contract by version: one token issued when a version
// starts, none when it scales or a worker dies, revoked when the version
// goes; and that each worker registers with its version's token.
type PerVersion struct {
	// Version returns the pipeline and version of a worker that Workers
	// returned last, as the platform knows them (a pod's labels).
	Version func(id string) (pipeline string, version int)
}

// Factory makes a runner under test whose workers reach api. The suite
// closes the runner at the end of the test.
type Factory func(t *testing.T, api API) Target
