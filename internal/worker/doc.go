// Package worker is the shim that runs user code: the tusk binary itself,
// started by a runner as a local process or as the entrypoint of any
// container image. It pulls datums from the server over the API (never
// touching the server's data directory), lays their inputs out under
// /pfs (or $PFS), runs the pipeline's command, streams its output as
// datum logs, and stages /pfs/out as the datum's output, which the server
// attaches to the output commit only if the attempt counts.
package worker
