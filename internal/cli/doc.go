// Package cli is the tusk command tree, in pachctl's grammar (verb noun:
// `tusk create repo`, `tusk put file`). Each command is a constructor that
// declares its cobra flags and help text, plus a plain run function that
// takes a client and a writer. Commands talk to a server only through
// package client; up.go is the one file that starts a server.
package cli
