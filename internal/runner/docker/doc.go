// Package docker runs pipeline workers as containers of the pipeline's
// image on a local Docker engine, which it drives through the Engine API
// over the engine's Unix socket.
//
// Any image works unchanged, FROM scratch included: the static tusk binary
// is bind-mounted read-only at /.tusk/tusk and made the entrypoint, so the
// worker shim runs as PID 1 of the container; the server's worker socket
// is bind-mounted at /.tusk/tusk.sock, and that socket is all the shim
// reaches of the server. Datums are laid out in a tmpfs at /pfs inside the
// container. Each worker is one long-lived container (parallelism N is N
// containers) that runs as transform.user, under the pipeline's resource
// limits and a pids limit (resource_limits.pids, else DefaultPidsLimit),
// with its GPUs (nvidia.com/gpu only) as docker run --gpus N gives them,
// never privileged and never given the engine's socket. An image the
// engine lacks is pulled from its registry, with the credentials of the
// first of the pipeline's image_pull_secrets (Tusk secrets holding a
// docker config) that has some for it, else of the server's docker
// config, as the pull policy says (pull.go); workers run
// the image by ID, and the ID is recorded with every datum.
//
// Containers are labelled with the server instance that owns them
// (tusk.instance), the pipeline and its version, and the cluster and
// server run (tusk.cluster, tusk.server) of the servers sharing one
// metadata store. A runner removes its containers on Stop and Close, and
// at start those a previous run of its instance left; a server that
// begins to lead removes those of its cluster's servers that died
// (RemoveDeadWorkers). No runner touches another cluster's containers. A
// supervisor per container replaces it, after a growing delay, when it
// dies. A new version replaces every container; scaling starts or removes
// only the difference, in the image the version started with. The runner
// passes the conformance suite of runners (runnertest).
package docker
