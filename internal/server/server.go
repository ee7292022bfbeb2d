package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/tuskdata/tusk/internal/audit"
	"github.com/tuskdata/tusk/internal/auth"
	"github.com/tuskdata/tusk/internal/blob"
	blobopen "github.com/tuskdata/tusk/internal/blob/open"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pfs"
	"github.com/tuskdata/tusk/internal/pps"
	"github.com/tuskdata/tusk/internal/pps/scheduler"
	"github.com/tuskdata/tusk/internal/runner"
	"github.com/tuskdata/tusk/internal/secret"
	"github.com/tuskdata/tusk/internal/txn"
)

// Version is the server's version, reported by /v1/info.
var Version = "0.1.0-dev"

// APIVersion is the version of the HTTP API; routes live under /v1.
const APIVersion = "v1"

// Config says where a server keeps its data and where it listens.
type Config struct {
	DataDir  string // default home of the metadata and objects
	Listen   string // host:port
	Storage  string // object store URL; default DataDir/objects
	Metadata string // metadata DSN; default DataDir/meta.db (SQLite)
	// GCInterval is how often garbage is collected; 0 disables it.
	GCInterval time.Duration
	LeaseTTL   time.Duration
	// DatumLease is how long a worker may go without a heartbeat before
	// its datums go to another worker; default 30 s.
	DatumLease time.Duration
	Logger     *slog.Logger
	// Runner hosts pipeline workers: "process", "docker", "auto"
	// (docker when an engine answers, else process), "kube" (pods on
	// Kubernetes, as Kube says), or "external" (workers started
	// elsewhere, tusk worker).
	Runner string
	// Kube configures the kube runner.
	Kube KubeConfig
	// WorkerBinary is the static tusk binary workers run; default: this
	// executable.
	WorkerBinary string
	// EgressDirs are the directories file:// egress may write under.
	EgressDirs []string
	// WorkerUser is who pipelines' code runs as on the process runner when
	// the server runs as root and transform.user does not say: a name or
	// uid[:gid] (default DefaultWorkerUser). Its group may use the worker
	// socket. Without root, code runs as the server's user and this must
	// be empty.
	WorkerUser string
	// NoWorkerNetwork cuts containers of pipeline workers off the network
	// (it is on by default, as in Pachyderm).
	NoWorkerNetwork bool
	// WorkerStartTimeout is how long a running job waits for a first
	// worker of its pipeline before it fails; default
	// DefaultWorkerStartTimeout.
	WorkerStartTimeout time.Duration
	// CreateBucket lets the server create a missing S3 bucket; without it
	// a missing bucket stops the server from starting.
	CreateBucket bool
	// StoreRetry is how long a call to a store on the network (S3,
	// PostgreSQL) keeps retrying transient errors before it fails; 0
	// means no retries.
	StoreRetry time.Duration
	// Limits bound what pipeline specs may ask for; unset ones are
	// DefaultLimits.
	Limits pps.Limits
	// OIDC, with an issuer, lets users log in at an OpenID Provider.
	OIDC OIDCConfig
	// ServerNames are the names, besides the address it listens on and
	// localhost, that requests may give as their Host: a host on any
	// port, or host:port.
	ServerNames []string
	// TLS says whether the API is served over TLS, and with which
	// certificate.
	TLS TLSConfig
	// AllowOrigins are the origins (scheme://host[:port]) of web pages
	// that may change state through the API, besides the server's own.
	AllowOrigins []string
	// KeepAuth refuses to deactivate authentication while the server
	// runs: tusk up sets it when other machines may reach the server and
	// --insecure was not given.
	KeepAuth bool
	// SecretKeyFile holds the key that seals secrets' values (base64 or
	// 32 raw bytes); default DataDir/secret.key, made on the first start.
	// Servers sharing a metadata store must share it.
	SecretKeyFile string
}

// DefaultLimits returns the limits of pipeline specs that fit this
// machine.
func DefaultLimits() pps.Limits { return pps.DefaultLimits() }

// DefaultWorkerStartTimeout is how long a running job waits for a first
// worker of its pipeline unless Config.WorkerStartTimeout says otherwise.
const DefaultWorkerStartTimeout = scheduler.DefaultWorkerStartTimeout

// Server is a running Tusk: stores, services and the HTTP API.
type Server struct {
	cfg     Config
	log     *slog.Logger
	db      *meta.DB
	objects blob.Store
	pfs     *pfs.API
	pps     *pps.API
	txns    *txn.Service
	sched   *scheduler.Scheduler
	runner  runner.Runner
	started time.Time
	// instance names this run of the server among the servers sharing
	// the metadata store (lead.go).
	instance string
	leading  atomic.Bool // this server runs the scheduler (lead.go)
	lock     *os.File    // holds the data directory's lock; nil without one
	tempDir  string      // made for the worker socket when there is no data directory
	socket   net.Listener
	tls      *tls.Config  // nil: plain HTTP
	audit    *audit.Log   // nil without a data directory
	cert     *Certificate // the certificate tls presents
	metrics  *metrics
	browser  *browserGuard
	handler  http.Handler
	auth     *auth.Service
	codes    *auth.Codes // one-time console login codes
	oidc     *oidcLogins // nil without an OpenID Provider
	// secretKey seals secrets' values; nil without a key file or a data
	// directory.
	secretKey *secret.Key
	// authActive caches whether authentication is on; the auth routes
	// that turn it on and off set it.
	authActive atomic.Bool
}

// New opens the stores and builds the services. With a data directory it
// creates the directory if needed and locks it, so that a second server
// on it refuses to start.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.DataDir == "" && (cfg.Storage == "" || cfg.Metadata == "") {
		return nil, errors.New("no data directory: give --data-dir, or both --storage and --metadata")
	}
	if cfg.Storage == "" {
		cfg.Storage = filepath.Join(cfg.DataDir, "objects")
	}
	if cfg.Metadata == "" {
		cfg.Metadata = filepath.Join(cfg.DataDir, "meta.db")
	}
	browser, err := newBrowserGuard(cfg.ServerNames, cfg.AllowOrigins)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, started: time.Now(), browser: browser, codes: auth.NewCodes(), instance: newInstance()}
	if cfg.DataDir != "" {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		lock, err := lockDir(cfg.DataDir, cfg.Listen)
		if err != nil {
			return nil, err
		}
		s.lock = lock
	}
	if err := s.loadTLS(); err != nil {
		s.Close()
		return nil, err
	}
	if cfg.DataDir != "" {
		if s.audit, err = audit.Open(filepath.Join(cfg.DataDir, "audit"), audit.Options{Logger: cfg.Logger}); err != nil {
			s.Close()
			return nil, err
		}
	}
	s.objects, err = blobopen.Open(ctx, cfg.Storage, blobopen.Options{CreateBucket: cfg.CreateBucket, Retry: cfg.StoreRetry, Logger: cfg.Logger})
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("open object store: %w", err)
	}
	if s.db, err = meta.Open(ctx, cfg.Metadata); err != nil {
		s.Close()
		return nil, err
	}
	s.db.RetryOutages(cfg.StoreRetry, cfg.Logger)
	if err := s.openAuth(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.openOIDC(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.openSecrets(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if s.pfs, err = pfs.Open(ctx, s.db, s.objects, pfs.Options{LeaseTTL: cfg.LeaseTTL, Logger: cfg.Logger}); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.startRunner(ctx); err != nil {
		s.Close()
		return nil, err
	}
	s.sched = scheduler.New(s.db, s.pfs, s.runner, scheduler.Options{Logger: cfg.Logger, EgressDirs: cfg.EgressDirs, EgressBucket: egressBucket,
		WorkerStartTimeout: cfg.WorkerStartTimeout, LeaseTTL: cfg.DatumLease, Limits: cfg.Limits, Instance: s.instance})
	s.pps = pps.New(s.db, s.pfs, s.sched, pps.Options{Logger: cfg.Logger, Limits: cfg.Limits})
	s.txns = txn.New(s.db, s.pfs, txnPipelines{s}, cfg.Logger)
	s.metrics = newMetrics()
	s.metrics.watchMeta(s.db)
	s.handler = s.newHandler(s.endpoints())
	return s, nil
}

// PFS returns the server's file system, for tests and embedding.
func (s *Server) PFS() *pfs.API { return s.pfs }

// Handler returns the HTTP handler of the API.
func (s *Server) Handler() http.Handler { return s.handler }

// Close releases the stores.
func (s *Server) Close() error {
	var errs []error
	if s.runner != nil {
		errs = append(errs, s.runner.Close())
	}
	if s.socket != nil {
		if err := s.socket.Close(); !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	if s.db != nil {
		errs = append(errs, s.db.Close())
	}
	if s.objects != nil {
		errs = append(errs, s.objects.Close())
	}
	if s.tempDir != "" {
		errs = append(errs, os.RemoveAll(s.tempDir))
	}
	if s.audit != nil {
		errs = append(errs, s.audit.Close())
	}
	if s.lock != nil {
		errs = append(errs, s.lock.Close())
	}
	return errors.Join(errs...)
}

// Serve serves the API on ln, over TLS if the server has a certificate,
// until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.tls != nil {
		ln = tls.NewListener(ln, s.tls)
	}
	// Requests outlive ctx until the workers are stopped, so that the
	// results the workers hold when the server stops are reported.
	base, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return base }}
	go s.pfs.RelayEvents(ctx)
	go s.sched.RelaySignals(ctx)
	go s.cleanTemp(ctx)
	ppsDone := make(chan struct{})
	go func() {
		defer close(ppsDone)
		s.db.Lead(ctx, s.instance, s.log, func(lctx context.Context) { s.lead(ctx, lctx) })
	}()
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	go func() { errc <- srv.Serve(s.socket) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Stop the workers while the API still answers them: they report
	// what they finished and give back the datums they hold, so that
	// nothing they did is done again after a restart. The scheduler stops
	// first, so that it starts none meanwhile, then the workers (lead),
	// and only then may another server lead.
	<-ppsDone
	if err := s.runner.Close(); err != nil {
		s.log.Error("stop workers", "err", err)
	}
	cancelBase()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close()
	}
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if err := s.db.View(r.Context(), func(*meta.Tx) error { return nil }); err != nil {
		writeError(w, r, fmt.Errorf("metadata store: %w", err))
		return
	}
	writeJSON(w, map[string]string{"status": "ok"})
}

func (s *Server) info(w http.ResponseWriter, r *http.Request) {
	cluster, err := s.db.ClusterID(r.Context())
	if err != nil {
		writeError(w, r, fmt.Errorf("cluster ID: %w", err))
		return
	}
	info := map[string]any{
		"cluster_id":     cluster,
		"version":        Version,
		"api_version":    APIVersion,
		"format_version": pfs.FormatVersion,
		"chunk_params":   s.pfs.ChunkParams(),
		"metadata":       s.db.Dialect(),
		"leader":         s.leading.Load(),
	}
	if s.oidc != nil {
		info["oidc_issuer"] = s.oidc.rp.Issuer()
	}
	writeJSON(w, info)
}
