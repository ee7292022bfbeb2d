package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
	"github.com/tuskdata/tusk/internal/worker"
)

// workerOptions are the flags of `tusk worker`, the shim that runs user
// code: runners start it, and with --runner external people do.
type workerOptions struct {
	pipeline, id, address, root, imageID, imageDigest, runAs string
	serverCA, serverFingerprint                              string
	groups                                                   []uint
	mountPFS, userApplied                                    bool
}

const workerLong = `Run the datums of a pipeline: ask the server for work, lay each datum's
inputs out under --root (/pfs), run the pipeline's command, and send its
output and logs back. Tusk's runners start workers on their own; a server
started with --runner external waits for workers you start, on any host
that reaches its API (nothing on the server reaches the worker):

  tusk worker --pipeline edges --address https://tusk.example.com:1650 --server-ca ca.pem

The worker proves who it is with $TUSK_WORKER_TOKEN, a token of the
pipeline (tusk auth get-worker-token PIPELINE), and trusts the server's
certificate as the CLI does: --server-ca or --server-fingerprint, else
$TUSK_SERVER_CA or $TUSK_SERVER_FINGERPRINT. The address is --address, else
$TUSK_ADDRESS; of several servers sharing their stores, give them all,
separated by commas: the worker uses one, and moves on to the next when it
cannot reach it. Run as many as the pipeline's parallelism asks for; each
needs its own --id (default: the host name).`

func newWorkerCommand(g *globals) *cobra.Command {
	var opts workerOptions
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run the datums of a pipeline (runners start it; with --runner external, you do)",
		Long:  workerLong,
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if worker.IsInit() {
				return worker.RunAsInit(os.Args[1:])
			}
			return runWorker(cmd.Context(), opts, g.stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.pipeline, "pipeline", "", "pipeline to work for")
	f.StringVar(&opts.id, "id", "", "worker ID")
	f.StringVar(&opts.address, "address", "", "server address: unix:///path, host:port or https://host:port, or several host:port or https://host:port separated by commas (default $TUSK_ADDRESS)")
	f.StringVar(&opts.serverCA, "server-ca", "", "PEM file of the CA that signed the server's certificate (default $TUSK_SERVER_CA)")
	f.StringVar(&opts.serverFingerprint, "server-fingerprint", "", "the server certificate's SHA-256 fingerprint, SHA256:… (default $TUSK_SERVER_FINGERPRINT)")
	f.StringVar(&opts.root, "root", "/pfs", "directory where datums are laid out")
	f.StringVar(&opts.imageID, "image-id", "", "ID of the image the worker runs in, recorded with each datum")
	f.StringVar(&opts.imageDigest, "image-digest", "", "registry reference (host/name@sha256:…) of the image the worker runs in, recorded with each datum")
	f.BoolVar(&opts.mountPFS, "mount-pfs", false, "bind-mount --root at /pfs (needs root and a private mount namespace)")
	f.BoolVar(&opts.userApplied, "user-applied", false, "the container already runs as transform.user; do not switch users")
	f.StringVar(&opts.runAs, "run-as", "", "uid:gid that commands run as where transform.user does not say; set, transform.user may not be root")
	f.UintSliceVar(&opts.groups, "group", nil, "with --run-as: a supplementary group of every command (repeatable)")
	return cmd
}

// WorkerProfileEnv, when set in a worker's environment, makes it write a
// CPU profile of its life to the value followed by "-PID.pprof"; the
// process runner passes the server's environment on, so the benchmarks
// profile workers with it.
const WorkerProfileEnv = "TUSK_WORKER_CPUPROFILE"

func runWorker(ctx context.Context, opts workerOptions, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	opts.address = cmp.Or(opts.address, os.Getenv("TUSK_ADDRESS"))
	if opts.pipeline == "" || opts.address == "" {
		return usagef("tusk worker needs --pipeline and --address (or $TUSK_ADDRESS)")
	}
	if prefix := os.Getenv(WorkerProfileEnv); prefix != "" {
		f, err := os.Create(fmt.Sprintf("%s-%d.pprof", prefix, os.Getpid()))
		if err != nil {
			return fmt.Errorf("worker CPU profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("worker CPU profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if opts.id == "" {
		opts.id, _ = os.Hostname()
	}
	server := contextConfig{Address: opts.address, Token: os.Getenv(tusk.WorkerTokenEnv),
		ServerFingerprint: cmp.Or(opts.serverFingerprint, os.Getenv("TUSK_SERVER_FINGERPRINT"))}
	var err error
	if server.ServerCA, err = readServerCA(cmp.Or(opts.serverCA, os.Getenv("TUSK_SERVER_CA"))); err != nil {
		return err
	}
	copts, err := server.clientOptions()
	if err != nil {
		return err
	}
	c, err := client.New(opts.address, append(copts, client.ResponseTimeout(worker.RequestTimeout))...)
	if err != nil {
		return err
	}
	root := opts.root
	if opts.mountPFS && root != "/pfs" {
		if err := worker.MountPFS(root); err != nil {
			log.Warn("cannot mount /pfs; user code finds its data under $PFS instead", "err", err, "pfs", root)
		} else {
			root = "/pfs"
		}
	}
	cfg := worker.Config{Client: c, Pipeline: opts.pipeline, ID: opts.id, Root: root, ImageID: opts.imageID,
		ImageDigest: opts.imageDigest,
		UserApplied: opts.userApplied, Subreaper: true, Logger: log, CLIEnv: cliEnv(opts, server), Token: server.Token}
	if opts.runAs != "" {
		uid, gid, err := worker.LookupUser(opts.runAs)
		if err != nil {
			return fmt.Errorf("--run-as: %w", err)
		}
		cfg.RunAs = &syscall.Credential{Uid: uid, Gid: gid}
		for _, g := range opts.groups {
			cfg.RunAs.Groups = append(cfg.RunAs.Groups, uint32(g))
		}
	}
	return worker.Run(ctx, cfg)
}

// newNextDatumCommand is `tusk next datum`, which the command of a
// datum-batching pipeline runs to finish a datum and get the next.
func newNextDatumCommand() *cobra.Command {
	var errMsg string
	cmd := &cobra.Command{
		Use:   "datum",
		Short: "Finish this datum and wait for the next (datum_batching)",
		Long: `In a pipeline with transform.datum_batching, the command starts once and
runs "tusk next datum" to get each datum: it reports the previous datum as
done (or failed, with --error), then waits until the next datum is laid out
under /pfs (its variables are in /pfs/.env) and returns.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return worker.NextDatum(errMsg)
		},
	}
	cmd.Flags().StringVar(&errMsg, "error", "", "report the previous datum as failed, with this reason")
	return cmd
}

// cliEnv is the environment in which the tusk CLI (or pachctl, the same
// shim) reaches the server as the worker does: a spout's command writes
// its output repo so.
func cliEnv(opts workerOptions, server contextConfig) []string {
	env := []string{"TUSK_ADDRESS=" + opts.address, "TUSK_TOKEN=" + server.Token}
	if f := cmp.Or(opts.serverCA, os.Getenv("TUSK_SERVER_CA")); f != "" {
		env = append(env, "TUSK_SERVER_CA="+f)
	}
	if server.ServerFingerprint != "" {
		env = append(env, "TUSK_SERVER_FINGERPRINT="+server.ServerFingerprint)
	}
	return env
}
