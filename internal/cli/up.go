package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/server"
	"github.com/tuskdata/tusk/internal/tusk"
)

// upOptions are the flags of `tusk up`.
// defaultListen is the address tusk up serves the API on.
const defaultListen = "127.0.0.1:1650"

type upOptions struct {
	dataDir    string
	listen     string
	s3Addr     string
	insecure   bool
	storage    string
	metadata   string
	gcInterval time.Duration
	leaseTTL   time.Duration
	logLevel   string
	runner     string
	egressDirs []string
	noNetwork  bool
	workerUser string
	// workerStart is how long a job waits for its pipeline's workers.
	workerStart time.Duration
	datumLease  time.Duration
	createBkt   bool
	storeRetry  time.Duration

	maxParallelism      int
	maxTotalParallelism int
	maxDatums           int64
	minCronInterval     time.Duration
	maxDatumLogBytes    int64

	tlsCert, tlsKey string
	serverNames     []string
	allowOrigins    []string
	secretKeyFile   string
	adminTokenFile  string

	oidc oidcOptions
	kube server.KubeConfig
}

const upLong = `Run a tusk server in the foreground until interrupted (Ctrl-C or SIGTERM).

By default everything lives in the data directory ($TUSK_DATA_DIR, else
~/.tusk/data): objects in DIR/objects and metadata in DIR/meta.db (SQLite).
--storage puts objects elsewhere (a directory, file:///path,
s3://bucket/prefix?endpoint=...&region=..., or mem:// for a throwaway store);
--metadata takes a SQLite path or a postgres:// DSN. An S3 bucket must exist
unless --create-bucket is given. Calls to S3 that fail for a transient
reason (connection refused, timeout, 5xx, SlowDown), and transactions that
cannot reach PostgreSQL, are retried for up to --store-retry, and the
outage is logged.

One server at a time uses a data directory: it holds DIR/tusk.lock while it
runs, and a second one refuses to start.

Every request needs a token (see tusk auth). At first start tusk up makes
an admin identity with the clusterAdmin role, and on every start it makes
sure that the CLI configuration of the user who runs it ($TUSK_CONFIG, else
~/.config/tusk/config.json, mode 0600) holds a valid admin token for the
address it listens on, so tusk commands on this machine just work.

OIDC: with --oidc-issuer, --oidc-client-id and the client secret (in
--oidc-client-secret-file, or $TUSK_OIDC_CLIENT_SECRET) users log in at that
OpenID Provider with tusk auth login, or the console's "Log in with" link.
Register the server there as a confidential client whose redirect URI is
http(s)://LISTEN/auth/callback, or --oidc-redirect-url. A user is
user:EMAIL (a verified email) with no roles until granted; --oidc-admin
users get clusterAdmin. The provider must answer when the server starts.

S3: the S3 gateway (path style, http://ADDR/BUCKET/KEY; buckets are repo,
branch.repo or commit.repo) listens on --s3-addr, by default 127.0.0.1:1600
when --listen is left at its default, else only where --s3-addr says. With
authentication on, an S3 client's access key and secret key are both a
Tusk token (docs/s3.md).

The server listens on 127.0.0.1:1650. It refuses an address reachable from
other machines unless --insecure is given: pipelines run arbitrary code.

TLS: with --tls-cert and --tls-key the API is served over https with that
certificate. Beyond loopback it is always served over https, unless
--insecure is given: without a certificate given, with a self-signed one
(ECDSA P-256) made at the first start and kept in DATA_DIR/tls, for the
listen address, the --server-name names and loopback. Its SHA-256
fingerprint is printed at startup, for clients to pin
(tusk config set context NAME --server-fingerprint SHA256:…). The workers'
Unix socket stays plain.

Web pages cannot use the server: it answers only requests for the address
it is reached at, localhost or a --server-name (so a page whose DNS turns to
this machine is refused), and it takes requests that change data only from
its own pages or a page of an --allow-origin, with a body type that pages
cannot send to other sites unasked (JSON, NDJSON, octet-stream).

Kubernetes: with --runner kube, each pipeline version's workers are the pods
of a Deployment in --namespace, made through --kubeconfig (default: the pod's
service account when tusk up runs in a cluster, else $KUBECONFIG or
~/.kube/config). An init container of --kube-image copies the static tusk
binary into the pod, and the pipeline's image runs it; workers dial
--kube-server-address (a Service in front of the servers), trusting
--kube-server-ca, or else under TLS this server's certificate.`

func newUpCommand(g *globals) *cobra.Command {
	var opts upOptions
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run a tusk server",
		Long:  upLong,
		Example: `  tusk up
  tusk up --data-dir /srv/tusk --gc-interval 1h
  TUSK_OIDC_CLIENT_SECRET=… tusk up --oidc-issuer https://id.example.com --oidc-client-id tusk --oidc-admin alice@example.com
  tusk up --storage 's3://tusk/data?endpoint=http://127.0.0.1:9000&region=us-east-1' --metadata postgres://tusk@db/tusk`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.dataDir == "" {
				dir, err := defaultDataDir(g.getenv)
				if err != nil {
					return err
				}
				opts.dataDir = dir
			}
			return runUp(cmd.Context(), g, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.dataDir, "data-dir", "", "directory of the default object store and metadata (default $TUSK_DATA_DIR or ~/.tusk/data)")
	f.StringVar(&opts.listen, "listen", defaultListen, "address to listen on (host:port)")
	f.StringVar(&opts.s3Addr, "s3-addr", "", "address of the S3 gateway (host:port); default 127.0.0.1:1600 when --listen is the default, \"off\" for none")
	f.BoolVar(&opts.insecure, "insecure", false, "beyond loopback, serve plain HTTP (unless --tls-cert), with authentication on or off")
	f.StringVar(&opts.storage, "storage", "", "object store URL (default DATA_DIR/objects)")
	f.StringVar(&opts.metadata, "metadata", "", "metadata store: SQLite path or postgres:// DSN (default DATA_DIR/meta.db)")
	f.DurationVar(&opts.gcInterval, "gc-interval", 10*time.Minute, "how often to collect garbage (0 disables it)")
	f.DurationVar(&opts.leaseTTL, "lease-ttl", time.Hour, "how long uploaded data is protected from garbage collection before a commit refers to it")
	f.StringVar(&opts.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.StringVar(&opts.runner, "runner", "auto", "where pipeline workers run: auto (docker when an engine answers, else process), docker, process, kube (pods on Kubernetes), or external (tusk worker processes you start elsewhere; see tusk worker --help)")
	f.StringVar(&opts.kube.Kubeconfig, "kubeconfig", "", "kube runner: kubeconfig file (default: in a cluster, the pod's service account; else $KUBECONFIG or ~/.kube/config)")
	f.StringVar(&opts.kube.Namespace, "namespace", "", "kube runner: namespace of the worker pods (default: the kubeconfig context's, else the pod's)")
	f.StringVar(&opts.kube.Image, "kube-image", server.DefaultKubeImage(), "kube runner: Tusk's image (FROM scratch, the static binary at /tusk) that worker pods copy the binary from")
	f.StringVar(&opts.kube.ServerAddress, "kube-server-address", "", "kube runner: the URL at which worker pods reach the servers, such as http://tusk.NAMESPACE.svc:1650")
	f.StringVar(&opts.kube.ServerCAFile, "kube-server-ca", "", "kube runner: PEM file of the CA that signed the servers' certificate, for worker pods to trust (default under TLS: they pin this server's certificate)")
	f.StringVar(&opts.kube.ServiceAccount, "kube-service-account", "", "kube runner: service account of worker pods (they never get its API token)")
	f.StringSliceVar(&opts.egressDirs, "egress-dir", nil, "directory that file:// egress may write under (repeatable)")
	f.StringVar(&opts.workerUser, "worker-user", "", "as root: who pipelines' code runs as on the process runner where transform.user does not say, a name or uid[:gid] (default "+server.DefaultWorkerUser+", nobody); its group may use the worker socket")
	f.BoolVar(&opts.noNetwork, "no-worker-network", false, "run pipeline containers without network access (docker runner)")
	f.DurationVar(&opts.workerStart, "worker-start-timeout", server.DefaultWorkerStartTimeout,
		"how long a job waits for its pipeline's workers to start (a missing image, a runner error) before it fails")
	f.DurationVar(&opts.datumLease, "datum-lease", 30*time.Second,
		"how long a worker may go without a heartbeat (it sends one every third of this) before its datums go to another worker")
	f.BoolVar(&opts.createBkt, "create-bucket", false, "create the --storage S3 bucket if it does not exist")
	f.DurationVar(&opts.storeRetry, "store-retry", 30*time.Second, "how long a call to S3 or PostgreSQL retries transient errors before it fails (0: no retries)")
	limits := server.DefaultLimits()
	f.IntVar(&opts.maxParallelism, "max-parallelism", limits.MaxParallelism, "most workers one pipeline may run (parallelism_spec)")
	f.IntVar(&opts.maxTotalParallelism, "max-total-parallelism", limits.MaxTotalParallelism, "most workers all pipelines together may run")
	f.Int64Var(&opts.maxDatums, "max-datums", limits.MaxDatums, "most datums one job may have")
	f.DurationVar(&opts.minCronInterval, "min-cron-interval", limits.MinCronInterval, "shortest interval a cron input may tick at")
	f.Int64Var(&opts.maxDatumLogBytes, "max-datum-log-bytes", limits.MaxDatumLogBytes, "bytes of log kept per datum; the rest is cut with a marker")
	addOIDCFlags(f, &opts.oidc)
	f.StringVar(&opts.tlsCert, "tls-cert", "", "serve https with this PEM certificate (and its chain); needs --tls-key")
	f.StringVar(&opts.tlsKey, "tls-key", "", "the PEM private key of --tls-cert")
	f.StringSliceVar(&opts.serverNames, "server-name", nil, "a name clients reach this server by, besides its address and localhost: host (any port) or host:port (repeatable); the server answers to it, and a self-signed certificate names it")
	f.StringVar(&opts.adminTokenFile, "admin-token-file", "", "a file holding a token of your choosing (at least 32 characters) that becomes a valid token of the cluster admin, for deployments whose operator must hold the first key before any server starts (a Kubernetes Secret)")
	f.StringVar(&opts.secretKeyFile, "secret-key-file", "", "file of the key that seals secrets' values (32 bytes, raw or base64: openssl rand -base64 32); default DATA_DIR/secret.key, made on the first start; servers sharing a metadata store need the same key")
	f.StringSliceVar(&opts.allowOrigins, "allow-origin", nil, "origin (scheme://host[:port]) of web pages that may change data through the API (repeatable)")
	return cmd
}

func defaultDataDir(getenv func(string) string) (string, error) {
	if d := getenv("TUSK_DATA_DIR"); d != "" {
		return d, nil
	}
	home := getenv("HOME")
	if home == "" {
		return "", usagef("no data directory: give --data-dir, or set TUSK_DATA_DIR or HOME")
	}
	return filepath.Join(home, ".tusk", "data"), nil
}

// beyondLoopback reports whether other machines may reach listen.
func beyondLoopback(listen string) (bool, error) {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false, usagef("--listen %q: want host:port, such as 127.0.0.1:1650", listen)
	}
	if host == "localhost" {
		return false, nil
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback(), nil
}

// checkExposure refuses to serve other machines without authentication
// unless insecure is set. (Beyond loopback, serverTLS serves TLS unless
// insecure is set.)
func checkExposure(listen string, insecure, authActive bool) error {
	far, err := beyondLoopback(listen)
	if err != nil || !far || insecure || authActive {
		return err
	}
	return tusk.Errorf(tusk.KindInvalid, "refusing to listen on %s: other machines could reach it, authentication is deactivated, and pipelines run arbitrary code", listen).
		WithHint("turn authentication on (tusk auth activate, with the server on 127.0.0.1), listen on 127.0.0.1 (the default), or add --insecure if everyone who can reach this address may run code on this machine")
}

// serverTLS says how tusk up serves its API: with the certificate given,
// else with a self-signed one beyond loopback, else (on loopback, or with
// --insecure) plain HTTP.
func serverTLS(opts upOptions) (server.TLSConfig, error) {
	if (opts.tlsCert == "") != (opts.tlsKey == "") {
		return server.TLSConfig{}, usagef("give both --tls-cert and --tls-key, or neither")
	}
	if opts.tlsCert != "" {
		return server.TLSConfig{CertFile: opts.tlsCert, KeyFile: opts.tlsKey}, nil
	}
	far, err := beyondLoopback(opts.listen)
	if err != nil || opts.insecure || !far {
		return server.TLSConfig{}, err
	}
	return server.TLSConfig{SelfSigned: true}, nil
}

// checkLimits refuses limits that are not positive.
func checkLimits(opts upOptions) error {
	for _, l := range []struct {
		flag string
		v    int64
	}{
		{"--max-parallelism", int64(opts.maxParallelism)}, {"--max-total-parallelism", int64(opts.maxTotalParallelism)},
		{"--max-datums", opts.maxDatums}, {"--min-cron-interval", int64(opts.minCronInterval)},
		{"--max-datum-log-bytes", opts.maxDatumLogBytes}, {"--datum-lease", int64(opts.datumLease)},
	} {
		if l.v <= 0 {
			return usagef("%s must be more than 0", l.flag)
		}
	}
	return nil
}

func runUp(ctx context.Context, g *globals, opts upOptions) error {
	stderr := g.stderr
	if err := checkLimits(opts); err != nil {
		return err
	}
	tlsConfig, err := serverTLS(opts)
	if err != nil {
		return err
	}
	far, err := beyondLoopback(opts.listen)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(opts.logLevel)); err != nil {
		return usagef("--log-level %q: want debug, info, warn or error", opts.logLevel)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	cfg := server.Config{
		DataDir:    opts.dataDir,
		Listen:     opts.listen,
		Storage:    opts.storage,
		Metadata:   opts.metadata,
		GCInterval: opts.gcInterval,
		LeaseTTL:   opts.leaseTTL,
		Logger:     log,
		Runner:     opts.runner,
		Kube:       opts.kube,
		EgressDirs: opts.egressDirs,

		WorkerUser:         opts.workerUser,
		NoWorkerNetwork:    opts.noNetwork,
		WorkerStartTimeout: opts.workerStart,
		DatumLease:         opts.datumLease,
		CreateBucket:       opts.createBkt,
		StoreRetry:         opts.storeRetry,
		ServerNames:        opts.serverNames,
		TLS:                tlsConfig,
		AllowOrigins:       opts.allowOrigins,
		KeepAuth:           far && !opts.insecure,
		SecretKeyFile:      opts.secretKeyFile,
	}
	cfg.Limits.MaxParallelism, cfg.Limits.MaxTotalParallelism = opts.maxParallelism, opts.maxTotalParallelism
	cfg.Limits.MaxDatums, cfg.Limits.MinCronInterval = opts.maxDatums, opts.minCronInterval
	cfg.Limits.MaxDatumLogBytes = opts.maxDatumLogBytes
	if cfg.Storage == "" {
		cfg.Storage = filepath.Join(cfg.DataDir, "objects")
	}
	if cfg.Metadata == "" {
		cfg.Metadata = filepath.Join(cfg.DataDir, "meta.db")
	}
	ln, err := net.Listen("tcp", opts.listen)
	if err != nil {
		return fmt.Errorf("tusk up: %w", err)
	}
	defer ln.Close()
	if cfg.OIDC, err = opts.oidc.config(g.getenv, ln.Addr(), tlsConfig != (server.TLSConfig{})); err != nil {
		return err
	}
	if u, err := url.Parse(cfg.OIDC.RedirectURL); err == nil && u.Host != "" {
		// Browsers come back from the provider by this name.
		cfg.ServerNames = append(cfg.ServerNames, u.Host)
	}
	srv, err := server.New(ctx, cfg)
	if err != nil {
		return fmt.Errorf("tusk up: %w", err)
	}
	// Nothing is served before this check: the listener only waits.
	if err := checkExposure(opts.listen, opts.insecure, srv.AuthActive()); err != nil {
		srv.Close()
		return err
	}
	if opts.adminTokenFile != "" {
		if err := adoptAdminToken(ctx, srv, opts.adminTokenFile); err != nil {
			srv.Close()
			return fmt.Errorf("tusk up: %w", err)
		}
	}
	s3ln, err := listenS3(opts, srv.AuthActive())
	if err != nil {
		srv.Close()
		return err
	}
	announce(stderr, srv, ln.Addr().String(), cfg)
	if s3ln != nil {
		_, secure := srv.Certificate()
		announceS3(stderr, s3ln, secure)
	}
	if err := saveAdminToken(ctx, g, srv, localContext(srv, ln.Addr().String()), stderr); err != nil {
		srv.Close()
		return fmt.Errorf("tusk up: %w", err)
	}
	if far, _ := beyondLoopback(opts.listen); far && opts.insecure {
		_, secure := srv.Certificate()
		log.Warn("listening beyond loopback with --insecure", "listen", ln.Addr().String(), "tls", secure, "authentication", srv.AuthActive())
	}
	err = serveAll(ctx, srv, ln, s3ln, log)
	if cerr := srv.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("tusk up: close stores: %w", cerr)
	}
	if err != nil {
		return fmt.Errorf("tusk up: %w", err)
	}
	log.Info("tusk stopped")
	return nil
}

// serveAll serves the API on ln and, unless s3ln is nil, the S3 gateway
// on s3ln, until ctx ends or the API stops.
func serveAll(ctx context.Context, srv *server.Server, ln, s3ln net.Listener, log *slog.Logger) error {
	if s3ln == nil {
		return srv.Serve(ctx, ln)
	}
	defer s3ln.Close()
	ctx, cancel := context.WithCancel(ctx)
	s3done := make(chan struct{})
	go func() {
		defer close(s3done)
		if err := srv.ServeS3(ctx, s3ln); err != nil {
			log.Error("the S3 gateway stopped", "err", err)
		}
	}()
	err := srv.Serve(ctx, ln)
	cancel()
	<-s3done
	return err
}

// announce prints where the server listens, where it keeps its data and,
// under TLS, the certificate clients should trust and how.
func announce(w io.Writer, srv *server.Server, addr string, cfg server.Config) {
	cert, secure := srv.Certificate()
	scheme := "http"
	if secure {
		scheme = "https"
	}
	fmt.Fprintf(w, "tusk is listening on %s://%s\n  console:  %s (a one-time login link)\n  data dir: %s\n  objects:  %s\n  metadata: %s\n",
		scheme, addr, srv.LoginLink(scheme+"://"+addr), cfg.DataDir, redact(cfg.Storage), redact(cfg.Metadata))
	if !secure {
		return
	}
	kind := "given"
	if cert.SelfSigned {
		kind = "self-signed"
	}
	fmt.Fprintf(w, "  certificate: %s (%s, %s)\n  trust it:    tusk config set context NAME --address https://HOST:%s --server-fingerprint %s\n",
		cert.Fingerprint, kind, cert.File, portOf(addr), cert.Fingerprint)
}

// localContext is the context of this server for its own machine: its
// address, over https under TLS, pinning a self-signed certificate.
func localContext(srv *server.Server, addr string) contextConfig {
	cert, secure := srv.Certificate()
	if !secure {
		return contextConfig{Address: addr}
	}
	c := contextConfig{Address: "https://" + addr}
	if cert.SelfSigned {
		c.ServerFingerprint = cert.Fingerprint.String()
	}
	return c
}

// portOf returns the port of a host:port address.
func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}

// redact hides a password in a store URL or DSN.
func redact(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		return u.Redacted()
	}
	return s
}
