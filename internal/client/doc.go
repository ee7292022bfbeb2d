// Package client is the Go client of Tusk's HTTP API. The CLI, workers and
// tests use it; it returns the types of package tusk and turns error
// responses back into *tusk.Error values of the same kind, so
// errors.Is(err, tusk.ErrNotFound) works across the wire.
package client
