// Package server is Tusk's composition root and HTTP API: it opens the
// metadata and object stores, builds the file system (pfs), and serves the
// versioned API (/v1/…) that the CLI, the Go client and workers use, with
// /healthz and Prometheus /metrics beside it. docs/api.md describes the
// routes.
package server
