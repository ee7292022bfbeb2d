// Package localtest provides CrashFS, an in-memory local.FS that remembers
// which of its changes were made durable and can simulate a power loss, for
// the crash-consistency tests of the local store and of the packages built
// on it.
package localtest
