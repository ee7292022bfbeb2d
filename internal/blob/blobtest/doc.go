// Package blobtest is the conformance suite for blob.Store implementations:
// every backend's tests call Run with a constructor for fresh stores, so
// that they all behave the same for the code above them.
package blobtest
